//! System views computed by the backend from shared memory (PostgreSQL
//! defines them in `system_views.sql` over set-returning functions such as
//! `pg_stat_get_live_tuples` and `pg_lock_status`).
//!
//! A view here is a relation in `pg_catalog` that has no file: name lookup
//! finds it after the real catalogs, the planner treats it as a read-only
//! table, and a scan of it materialises its rows when the scan begins.
//! Changing one is `55000 cannot insert into view`, as for PostgreSQL's.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use catalog::heap_catalog::{ColumnInfo, RelationInfo};
use catalog::system::{PG_CATALOG_NAMESPACE, PG_CLASS_DEF};
use storage::page::ItemPointer;
use types::datum::Numeric;
use types::oid::{
    ANYARRAY, BOOL, FLOAT4, FLOAT4_ARRAY, FLOAT8, INT2, INT4, INT8, NAME, NUMERIC, OID, TEXT,
    TEXT_ARRAY, TIMESTAMPTZ,
};
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::Session;

/// PostgreSQL 15's OIDs of these views (from its `system_views.sql`, stable
/// within a release).
const PG_STAT_USER_TABLES: u32 = 12_312;
const PG_LOCKS: u32 = 12_133;
const PG_STAT_BGWRITER: u32 = 12_289;
const PG_STAT_WAL: u32 = 12_293;
const PG_INDEXES: u32 = 12_043;
const PG_ROLES: u32 = 12_000;
const PG_PUBLICATION_TABLES: u32 = 12_068;
const PG_STATS: u32 = 12_053;
const PG_STATS_EXT: u32 = 12_058;
const PG_SETTINGS: u32 = 12_104;
const PG_PREPARED_STATEMENTS: u32 = 12_095;
const PG_CURSORS: u32 = 12_077;
const PG_SECLABELS: u32 = 12_099;
const PG_RULES: u32 = 12_028;
const PG_POLICIES: u32 = 12_018;
const PG_MATVIEWS: u32 = 12_038;
const PG_USER_MAPPINGS: u32 = 12_327;

struct View {
    oid: u32,
    name: &'static str,
    columns: &'static [(&'static str, u32)],
}

const VIEWS: &[View] = &[
    View {
        oid: PG_POLICIES,
        name: "pg_policies",
        columns: &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("policyname", NAME),
            ("permissive", TEXT),
            ("roles", types::oid::NAME_ARRAY),
            ("cmd", TEXT),
            ("qual", TEXT),
            ("with_check", TEXT),
        ],
    },
    View {
        oid: PG_MATVIEWS,
        name: "pg_matviews",
        columns: &[
            ("schemaname", NAME),
            ("matviewname", NAME),
            ("matviewowner", NAME),
            ("tablespace", NAME),
            ("hasindexes", BOOL),
            ("ispopulated", BOOL),
            ("definition", TEXT),
        ],
    },
    View {
        oid: PG_RULES,
        name: "pg_rules",
        columns: &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("rulename", NAME),
            ("definition", TEXT),
        ],
    },
    // No security label providers here: always empty.
    View {
        oid: PG_SECLABELS,
        name: "pg_seclabels",
        columns: &[
            ("objoid", OID),
            ("classoid", OID),
            ("objsubid", INT4),
            ("objtype", TEXT),
            ("objnamespace", OID),
            ("objname", TEXT),
            ("provider", TEXT),
            ("label", TEXT),
        ],
    },
    View {
        oid: PG_SETTINGS,
        name: "pg_settings",
        columns: &[
            ("name", TEXT),
            ("setting", TEXT),
            ("unit", TEXT),
            ("category", TEXT),
            ("short_desc", TEXT),
            ("extra_desc", TEXT),
            ("context", TEXT),
            ("vartype", TEXT),
            ("source", TEXT),
            ("min_val", TEXT),
            ("max_val", TEXT),
            ("enumvals", TEXT_ARRAY),
            ("boot_val", TEXT),
            ("reset_val", TEXT),
            ("sourcefile", TEXT),
            ("sourceline", INT4),
            ("pending_restart", BOOL),
        ],
    },
    View {
        oid: PG_PREPARED_STATEMENTS,
        name: "pg_prepared_statements",
        columns: &[
            ("name", TEXT),
            ("statement", TEXT),
            ("prepare_time", TIMESTAMPTZ),
            ("parameter_types", types::oid::REGTYPE_ARRAY),
            ("from_sql", BOOL),
            ("generic_plans", INT8),
            ("custom_plans", INT8),
        ],
    },
    View {
        oid: PG_CURSORS,
        name: "pg_cursors",
        columns: &[
            ("name", TEXT),
            ("statement", TEXT),
            ("is_holdable", BOOL),
            ("is_binary", BOOL),
            ("is_scrollable", BOOL),
            ("creation_time", TIMESTAMPTZ),
        ],
    },
    View {
        oid: PG_STATS,
        name: "pg_stats",
        columns: &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("attname", NAME),
            ("inherited", BOOL),
            ("null_frac", FLOAT4),
            ("avg_width", INT4),
            ("n_distinct", FLOAT4),
            ("most_common_vals", ANYARRAY),
            ("most_common_freqs", FLOAT4_ARRAY),
            ("histogram_bounds", ANYARRAY),
            ("correlation", FLOAT4),
            ("most_common_elems", ANYARRAY),
            ("most_common_elem_freqs", FLOAT4_ARRAY),
            ("elem_count_histogram", FLOAT4_ARRAY),
        ],
    },
    View {
        oid: PG_STATS_EXT,
        name: "pg_stats_ext",
        columns: &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("statistics_schemaname", NAME),
            ("statistics_name", NAME),
            ("statistics_owner", NAME),
            ("attnames", types::oid::NAME_ARRAY),
            ("exprs", TEXT_ARRAY),
            ("kinds", types::oid::CHAR_ARRAY),
            ("inherited", BOOL),
            ("n_distinct", types::oid::PG_NDISTINCT),
            ("dependencies", types::oid::PG_DEPENDENCIES),
            ("most_common_vals", TEXT_ARRAY),
            ("most_common_val_nulls", types::oid::BOOL_ARRAY),
            ("most_common_freqs", types::oid::FLOAT8_ARRAY),
            ("most_common_base_freqs", types::oid::FLOAT8_ARRAY),
        ],
    },
    View {
        oid: PG_PUBLICATION_TABLES,
        name: "pg_publication_tables",
        columns: &[
            ("pubname", NAME),
            ("schemaname", NAME),
            ("tablename", NAME),
            ("attnames", types::oid::NAME_ARRAY),
            ("rowfilter", TEXT),
        ],
    },
    View {
        oid: PG_USER_MAPPINGS,
        name: "pg_user_mappings",
        columns: &[
            ("umid", OID),
            ("srvid", OID),
            ("srvname", NAME),
            ("umuser", OID),
            ("usename", NAME),
            ("umoptions", TEXT_ARRAY),
        ],
    },
    View {
        oid: PG_ROLES,
        name: "pg_roles",
        columns: &[
            ("rolname", NAME),
            ("rolsuper", BOOL),
            ("rolinherit", BOOL),
            ("rolcreaterole", BOOL),
            ("rolcreatedb", BOOL),
            ("rolcanlogin", BOOL),
            ("rolreplication", BOOL),
            ("rolconnlimit", INT4),
            ("rolpassword", TEXT),
            ("rolvaliduntil", TIMESTAMPTZ),
            ("rolbypassrls", BOOL),
            ("rolconfig", TEXT_ARRAY),
            ("oid", OID),
        ],
    },
    View {
        oid: PG_INDEXES,
        name: "pg_indexes",
        columns: &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("indexname", NAME),
            ("tablespace", NAME),
            ("indexdef", TEXT),
        ],
    },
    View {
        oid: PG_STAT_USER_TABLES,
        name: "pg_stat_user_tables",
        columns: &[
            ("relid", OID),
            ("schemaname", NAME),
            ("relname", NAME),
            ("seq_scan", INT8),
            ("seq_tup_read", INT8),
            ("idx_scan", INT8),
            ("idx_tup_fetch", INT8),
            ("n_tup_ins", INT8),
            ("n_tup_upd", INT8),
            ("n_tup_del", INT8),
            ("n_tup_hot_upd", INT8),
            ("n_live_tup", INT8),
            ("n_dead_tup", INT8),
            ("n_mod_since_analyze", INT8),
            ("n_ins_since_vacuum", INT8),
            ("last_vacuum", TIMESTAMPTZ),
            ("last_autovacuum", TIMESTAMPTZ),
            ("last_analyze", TIMESTAMPTZ),
            ("last_autoanalyze", TIMESTAMPTZ),
            ("vacuum_count", INT8),
            ("autovacuum_count", INT8),
            ("analyze_count", INT8),
            ("autoanalyze_count", INT8),
        ],
    },
    View {
        oid: PG_LOCKS,
        name: "pg_locks",
        // transactionid is PostgreSQL's `xid`; ours are 64-bit and shown as bigint.
        columns: &[
            ("locktype", TEXT),
            ("database", OID),
            ("relation", OID),
            ("page", INT4),
            ("tuple", INT2),
            ("virtualxid", TEXT),
            ("transactionid", INT8),
            ("classid", OID),
            ("objid", OID),
            ("objsubid", INT2),
            ("virtualtransaction", TEXT),
            ("pid", INT4),
            ("mode", TEXT),
            ("granted", BOOL),
            ("fastpath", BOOL),
            ("waitstart", TIMESTAMPTZ),
        ],
    },
    View {
        oid: PG_STAT_WAL,
        name: "pg_stat_wal",
        columns: &[
            ("wal_records", INT8),
            ("wal_fpi", INT8),
            ("wal_bytes", NUMERIC),
            ("wal_buffers_full", INT8),
            ("wal_write", INT8),
            ("wal_sync", INT8),
            ("wal_write_time", FLOAT8),
            ("wal_sync_time", FLOAT8),
            ("stats_reset", TIMESTAMPTZ),
        ],
    },
    View {
        oid: PG_STAT_BGWRITER,
        name: "pg_stat_bgwriter",
        columns: &[
            ("checkpoints_timed", INT8),
            ("checkpoints_req", INT8),
            ("checkpoint_write_time", FLOAT8),
            ("checkpoint_sync_time", FLOAT8),
            ("buffers_checkpoint", INT8),
            ("buffers_clean", INT8),
            ("maxwritten_clean", INT8),
            ("buffers_backend", INT8),
            ("buffers_backend_fsync", INT8),
            ("buffers_alloc", INT8),
            ("stats_reset", TIMESTAMPTZ),
        ],
    },
];

/// The view `name` of pg_catalog, as a relation.
pub fn lookup(name: &str) -> Option<Arc<RelationInfo>> {
    let v = VIEWS.iter().find(|v| v.name == name)?;
    Some(view_relation(
        (v.oid, v.name),
        (PG_CATALOG_NAMESPACE, "pg_catalog"),
        v.columns.iter().map(|(name, t)| ((*name).to_owned(), *t)),
        None,
    ))
}

/// A built-in view as a relation: (oid, name), (schema oid, schema),
/// its columns (name, type) and, for a view of SQL, its query (None: the
/// executor computes its rows, as for the `pg_catalog` views here).
pub fn view_relation(
    (oid, name): (u32, &str),
    (namespace_oid, namespace): (u32, &str),
    columns: impl Iterator<Item = (String, u32)>,
    view_query: Option<String>,
) -> Arc<RelationInfo> {
    Arc::new(RelationInfo {
        options: Vec::new(),
        oid,
        name: name.into(),
        namespace_oid,
        namespace: namespace.into(),
        relfilenode: 0,
        kind: 'v',
        persistence: 'p',
        shared: false,
        columns: columns
            .enumerate()
            .map(|(i, (name, type_oid))| ColumnInfo {
                name,
                type_oid,
                typmod: -1,
                attnum: i as i16 + 1,
                not_null: false,
                default: None,
                dropped: false,
                identity: '\0',
                generated: '\0',
                is_local: true,
                inhcount: 0,
                collation: None,
                storage: '\0',
                compression: '\0',
            })
            .collect(),
        class_tid: ItemPointer::new(0, 0),
        has_index: false,
        indexes: Vec::new(),
        constraints: Vec::new(),
        referenced_by: Vec::new(),
        has_subclass: false,
        children: Vec::new(),
        partbound: None,
        partition_key: None,
        partition_parent: 0,
        statistics: Default::default(),
        rules: Vec::new(),
        owner: catalog::role::BOOTSTRAP_SUPERUSER_OID,
        row_security: false,
        force_row_security: false,
        policies: Vec::new(),
        triggers: Vec::new(),
        view_query,
        populated: true,
    })
}

/// View `oid`, as a relation.
pub fn by_oid(oid: u32) -> Option<Arc<RelationInfo>> {
    VIEWS
        .iter()
        .find(|v| v.oid == oid)
        .and_then(|v| lookup(v.name))
}

/// Whether relation `oid` is one of these views.
pub fn is_view(oid: u32) -> bool {
    VIEWS.iter().any(|v| v.oid == oid)
}

/// `55000 cannot <verb> view "name"`, PostgreSQL's answer for a view it
/// cannot update automatically.
pub fn not_updatable(name: &str, verb: &str) -> PgError {
    let (what, rule) = match verb {
        "insert into" => ("inserting into", "ON INSERT DO INSTEAD"),
        "update" => ("updating", "ON UPDATE DO INSTEAD"),
        _ => ("deleting from", "ON DELETE DO INSTEAD"),
    };
    let trigger = match verb {
        "insert into" => "INSTEAD OF INSERT",
        "update" => "INSTEAD OF UPDATE",
        _ => "INSTEAD OF DELETE",
    };
    PgError::new(
        SqlState::ObjectNotInPrerequisiteState,
        format!("cannot {verb} view \"{name}\""),
    )
    .with_detail(
        "Views that do not select from a single table or view are not automatically updatable.",
    )
    .with_hint(format!(
        "To enable {what} the view, provide an {trigger} trigger or an unconditional {rule} rule."
    ))
}

fn opt_oid(v: Option<u32>) -> Datum {
    v.map(Datum::Oid).unwrap_or(Datum::Null)
}

fn ts(v: i64) -> Datum {
    if v == 0 {
        Datum::Null
    } else {
        Datum::Timestamptz(v)
    }
}

/// The rows of view `oid`, computed now.
pub fn rows(session: &mut Session, oid: u32) -> PgResult<VecDeque<Vec<Datum>>> {
    match oid {
        PG_STAT_USER_TABLES => stat_user_tables(session),
        PG_LOCKS => Ok(locks(session)),
        PG_STAT_WAL => Ok(VecDeque::from([stat_wal(session)])),
        PG_STAT_BGWRITER => Ok(VecDeque::from([stat_bgwriter(session)])),
        PG_INDEXES => indexes(session),
        PG_STATS => stats(session),
        PG_STATS_EXT => stats_ext(session),
        PG_ROLES => roles(session),
        PG_USER_MAPPINGS => crate::commands::foreigncmds::user_mappings_view(session),
        PG_SETTINGS => settings(session),
        PG_PREPARED_STATEMENTS => Ok(prepared_statements(session)),
        PG_CURSORS => Ok(cursors(session)),
        PG_SECLABELS => Ok(VecDeque::new()),
        PG_RULES => rules(session),
        PG_POLICIES => policies(session),
        PG_MATVIEWS => matviews(session),
        PG_PUBLICATION_TABLES => crate::commands::publication::publication_tables(session),
        _ => Err(PgError::internal(format!("no system view {oid}"))),
    }
}

/// `pg_settings`: every setting the user may read (PostgreSQL's
/// `show_all_settings`); the configuration file's name and line are not
/// kept, and no setting waits for a restart.
fn settings(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    // Superusers and members of pg_read_all_settings see superuser-only ones.
    let may_read_all = session.is_superuser || {
        let graph = crate::acl::RoleGraph::load(session)?;
        graph
            .by_name("pg_read_all_settings")
            .is_some_and(|r| graph.has_privs_of(session.user_oid, r.oid))
    };
    let text = |s: Option<String>| s.map_or(Datum::Null, Datum::Text);
    Ok(session
        .settings
        .pg_settings_rows(may_read_all)
        .into_iter()
        .map(|r| {
            vec![
                Datum::Text(r.name),
                Datum::Text(r.setting),
                text(r.unit),
                Datum::Text(r.category),
                Datum::Text(r.short_desc),
                Datum::Null,
                Datum::Text(r.context.into()),
                Datum::Text(r.vartype.into()),
                Datum::Text(r.source.into()),
                text(r.min_val),
                text(r.max_val),
                r.enumvals.map_or(Datum::Null, |v| {
                    Datum::Array(Box::new(types::datum::ArrayValue {
                        elem_type: TEXT,
                        lower: 1,
                        elems: v.into_iter().map(Datum::Text).collect(),
                        inner: Vec::new(),
                    }))
                }),
                Datum::Text(r.boot_val),
                Datum::Text(r.reset_val),
                Datum::Null,
                Datum::Null,
                Datum::Bool(false),
            ]
        })
        .collect())
}

/// `pg_prepared_statements`: the session's named prepared statements, by
/// SQL PREPARE or by Parse messages. Plans are not counted here
/// (`generic_plans` and `custom_plans` are 0).
fn prepared_statements(session: &Session) -> VecDeque<Vec<Datum>> {
    let mut named: Vec<_> = session
        .prepared
        .iter()
        .filter(|(name, _)| !name.is_empty())
        .collect();
    named.sort_by_key(|(_, p)| p.prepare_time);
    named
        .into_iter()
        .map(|(name, p)| {
            vec![
                Datum::Text(name.clone()),
                Datum::Text(p.sql.clone()),
                Datum::Timestamptz(p.prepare_time),
                Datum::Array(Box::new(types::datum::ArrayValue {
                    elem_type: types::oid::REGTYPE,
                    lower: 1,
                    elems: p
                        .param_types
                        .iter()
                        .map(|&t| Datum::Text(types::oid::format_type(t, -1)))
                        .collect(),
                    inner: Vec::new(),
                })),
                Datum::Bool(p.from_sql),
                Datum::Int8(0),
                Datum::Int8(0),
            ]
        })
        .collect()
}

/// `pg_cursors`: the session's open cursors (SQL DECLARE), oldest first.
fn cursors(session: &Session) -> VecDeque<Vec<Datum>> {
    let mut open: Vec<_> = session.cursors.iter().collect();
    open.sort_by_key(|(_, c)| c.created);
    open.into_iter()
        .map(|(name, c)| {
            vec![
                Datum::Text(name.clone()),
                Datum::Text(c.statement.clone()),
                Datum::Bool(c.hold),
                Datum::Bool(c.binary),
                Datum::Bool(!c.no_scroll),
                Datum::Timestamptz(c.created),
            ]
        })
        .collect()
}

/// `pg_rules`: every rule but views' `_RETURN` rules, with its definition.
fn rules(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let mut found: Vec<catalog::system::RuleRow> = Vec::new();
    crate::relcache::with_reader(session, |r| {
        r.scan(&catalog::system::PG_REWRITE_DEF, |_, row| {
            let rule = catalog::system::RuleRow::from_datums(&row);
            if rule.name != "_RETURN" {
                found.push(rule);
            }
            Ok(true)
        })
    })?;
    let mut out = VecDeque::new();
    for rule in found {
        let Some(rel) = crate::relcache::relation_by_oid(session, rule.relid)? else {
            continue;
        };
        let def = crate::commands::rule::ruledef(session, rule.oid, false)?;
        out.push_back(vec![
            Datum::Text(rel.namespace.clone()),
            Datum::Text(rel.name.clone()),
            Datum::Text(rule.name.clone()),
            def.map_or(Datum::Null, Datum::Text),
        ]);
    }
    Ok(out)
}

/// `pg_policies`: every row-level security policy, its roles by name
/// (`{public}` for PUBLIC) and its expressions as `pg_get_expr` prints
/// them.
fn policies(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let found = crate::relcache::with_reader(session, |r| r.all_policies())?;
    let graph = crate::acl::RoleGraph::load(session)?;
    let mut out = VecDeque::new();
    for (_, p) in found {
        let Some(rel) = crate::relcache::relation_by_oid(session, p.relid)? else {
            continue;
        };
        let roles: Vec<Datum> = if p.roles == [0] {
            vec![Datum::Text("public".into())]
        } else {
            let mut names: Vec<String> = p
                .roles
                .iter()
                .filter_map(|o| graph.by_oid(*o).map(|r| r.name.clone()))
                .collect();
            names.sort();
            names.into_iter().map(Datum::Text).collect()
        };
        let cmd = match p.cmd {
            'r' => "SELECT",
            'a' => "INSERT",
            'w' => "UPDATE",
            'd' => "DELETE",
            _ => "ALL",
        };
        let mut expr = |t: &Option<String>| -> PgResult<Datum> {
            Ok(match t {
                Some(t) => crate::describe::expression(session, t, p.relid, false)?
                    .map_or(Datum::Null, Datum::Text),
                None => Datum::Null,
            })
        };
        let qual = expr(&p.qual)?;
        let with_check = expr(&p.with_check)?;
        out.push_back(vec![
            Datum::Text(rel.namespace.clone()),
            Datum::Text(rel.name.clone()),
            Datum::Text(p.name.clone()),
            Datum::Text(
                if p.permissive {
                    "PERMISSIVE"
                } else {
                    "RESTRICTIVE"
                }
                .into(),
            ),
            Datum::Array(Box::new(types::datum::ArrayValue::new(NAME, roles))),
            Datum::Text(cmd.into()),
            qual,
            with_check,
        ]);
    }
    Ok(out)
}

/// `pg_matviews`: every materialized view, with its query as
/// `pg_get_viewdef` prints it.
fn matviews(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let mut found: Vec<catalog::system::ClassRow> = Vec::new();
    crate::relcache::with_reader(session, |r| {
        r.scan(&PG_CLASS_DEF, |_, row| {
            let class = catalog::heap_catalog::class_from_datums(&row);
            if class.kind == 'm' {
                found.push(class);
            }
            Ok(true)
        })
    })?;
    found.sort_by_key(|c| c.oid);
    let mut out = VecDeque::new();
    for class in found {
        let Some(rel) = crate::relcache::relation_by_oid(session, class.oid)? else {
            continue;
        };
        let owner = crate::describe::role_name(session, class.owner)?;
        let def = crate::describe::view_definition(session, class.oid, false, 0)?;
        out.push_back(vec![
            Datum::Text(rel.namespace.clone()),
            Datum::Text(class.name.clone()),
            owner.map_or(Datum::Null, Datum::Text),
            Datum::Null,
            Datum::Bool(class.has_index),
            Datum::Bool(class.populated),
            def.map_or(Datum::Null, Datum::Text),
        ]);
    }
    Ok(out)
}

/// `pg_indexes`: every index of every table, with its definition.
fn indexes(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let mut tables: Vec<u32> = Vec::new();
    crate::relcache::with_reader(session, |r| {
        let d = &PG_CLASS_DEF;
        r.scan(d, |_, row| {
            if let (Some(Datum::Oid(oid)), Some(Datum::Text(kind)), Some(Datum::Bool(true))) = (
                row.get(d.col("oid")),
                row.get(d.col("relkind")),
                row.get(d.col("relhasindex")),
            ) && (kind == "r" || kind == "m")
            {
                tables.push(*oid);
            }
            Ok(true)
        })
    })?;
    let mut out = VecDeque::new();
    for oid in tables {
        let Some(table) = crate::relcache::relation_by_oid(session, oid)? else {
            continue;
        };
        for ix in &table.indexes {
            let def = match crate::describe::index(session, ix.oid, 0, false)? {
                Some(def) => def,
                None => index_definition(&table, ix),
            };
            out.push_back(vec![
                Datum::Text(table.namespace.clone()),
                Datum::Text(table.name.clone()),
                Datum::Text(ix.name.clone()),
                Datum::Null,
                Datum::Text(def),
            ]);
        }
    }
    Ok(out)
}

/// `pg_stats_ext`: each extended statistics object with what ANALYZE found
/// of it (`pg_statistic_ext_data`), by table, object and column names.
fn stats_ext(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let objects = crate::relcache::with_reader(session, |r| r.all_statistics_ext())?;
    let mut out = VecDeque::new();
    for (_, object) in objects {
        let Some(table) = crate::relcache::relation_by_oid(session, object.relid)? else {
            continue;
        };
        let data = crate::relcache::with_reader(session, |r| r.statistics_ext_data(object.oid))?;
        if data.is_empty() {
            continue;
        }
        let nsp = crate::relcache::with_reader(session, |r| r.namespace_name(object.namespace))?
            .unwrap_or_default();
        let owner = crate::describe::role_name(session, object.owner)?.unwrap_or_default();
        let attnames: Vec<Datum> = object
            .keys
            .iter()
            .filter_map(|k| table.columns.iter().find(|c| c.attnum == *k))
            .map(|c| Datum::Text(c.name.clone()))
            .collect();
        let exprs = crate::commands::statistics::expression_texts(object.exprs.as_deref());
        let exprs = if exprs.is_empty() {
            Datum::Null
        } else {
            let mut shown = Vec::new();
            for e in exprs {
                let text = crate::describe::expression(session, &e, table.oid, true)?.unwrap_or(e);
                shown.push(Datum::Text(text));
            }
            Datum::Array(Box::new(types::datum::ArrayValue::new(TEXT, shown)))
        };
        let kinds = Datum::Array(Box::new(types::datum::ArrayValue::new(
            types::oid::CHAR,
            object
                .kinds
                .iter()
                .map(|k| Datum::Text(k.to_string()))
                .collect(),
        )));
        for (_, inherit, ndistinct, dependencies) in data {
            out.push_back(vec![
                Datum::Text(table.namespace.clone()),
                Datum::Text(table.name.clone()),
                Datum::Text(nsp.clone()),
                Datum::Text(object.name.clone()),
                Datum::Text(owner.clone()),
                Datum::Array(Box::new(types::datum::ArrayValue::new(
                    NAME,
                    attnames.clone(),
                ))),
                exprs.clone(),
                kinds.clone(),
                Datum::Bool(inherit),
                ndistinct.map_or(Datum::Null, Datum::Text),
                dependencies.map_or(Datum::Null, Datum::Text),
                Datum::Null,
                Datum::Null,
                Datum::Null,
                Datum::Null,
            ]);
        }
    }
    Ok(out)
}

/// `pg_stats`: `pg_statistic` by table and column name, its slots by kind
/// (most common values, histogram, correlation).
fn stats(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    use catalog::system::PG_STATISTIC_DEF;
    let mut rows: Vec<Vec<Datum>> = Vec::new();
    crate::relcache::with_reader(session, |r| {
        r.scan(&PG_STATISTIC_DEF, |_, row| {
            rows.push(row);
            Ok(true)
        })
    })?;
    let d = &PG_STATISTIC_DEF;
    let mut out = VecDeque::new();
    for row in rows {
        let (Some(Datum::Oid(rel)), Some(Datum::Int2(attnum))) =
            (row.get(d.col("starelid")), row.get(d.col("staattnum")))
        else {
            continue;
        };
        let Some(table) = crate::relcache::relation_by_oid(session, *rel)? else {
            continue;
        };
        let Some(col) = table
            .columns
            .iter()
            .find(|c| c.attnum == *attnum && !c.dropped)
        else {
            continue;
        };
        let get = |name: &str| row.get(d.col(name)).cloned().unwrap_or(Datum::Null);
        // the slot of `kind`: its numbers and values
        let slot = |kind: i16| {
            (1..=5)
                .find(|i| get(&format!("stakind{i}")) == Datum::Int2(kind))
                .map(|i| {
                    (
                        get(&format!("stanumbers{i}")),
                        get(&format!("stavalues{i}")),
                    )
                })
                .unwrap_or((Datum::Null, Datum::Null))
        };
        let (mcv_freqs, mcv_vals) = slot(1);
        let (_, hist) = slot(2);
        let correlation = match slot(3).0 {
            Datum::Array(a) => a.elems.first().cloned().unwrap_or(Datum::Null),
            _ => Datum::Null,
        };
        out.push_back(vec![
            Datum::Text(table.namespace.clone()),
            Datum::Text(table.name.clone()),
            Datum::Text(col.name.clone()),
            get("stainherit"),
            get("stanullfrac"),
            get("stawidth"),
            get("stadistinct"),
            mcv_vals,
            mcv_freqs,
            hist,
            correlation,
            Datum::Null,
            Datum::Null,
            Datum::Null,
        ]);
    }
    Ok(out)
}

/// `pg_roles`: `pg_authid` without the password.
fn roles(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let roles = crate::relcache::with_reader(session, |r| r.roles())?;
    Ok(roles
        .into_iter()
        .map(|(_, r)| {
            vec![
                Datum::Text(r.name),
                Datum::Bool(r.superuser),
                Datum::Bool(r.inherit),
                Datum::Bool(r.create_role),
                Datum::Bool(r.create_db),
                Datum::Bool(r.can_login),
                Datum::Bool(r.replication),
                Datum::Int4(r.conn_limit),
                Datum::Text("********".into()),
                Datum::Null,
                Datum::Bool(r.bypass_rls),
                Datum::Null,
                Datum::Oid(r.oid),
            ]
        })
        .collect())
}

/// An identifier as PostgreSQL's `quote_ident` prints it.
pub fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// `pg_get_indexdef`: the CREATE INDEX statement that makes `ix`, its
/// expressions and predicate as written.
pub fn index_definition(table: &RelationInfo, ix: &catalog::heap_catalog::IndexInfo) -> String {
    index_definition_with(table, ix, IndexDefParts::default())
}

/// What [`index_definition_with`] prints as given instead of from the
/// stored text (`pg_get_indexdef` prints analyzed expressions).
#[derive(Debug, Default)]
pub struct IndexDefParts {
    /// Each expression key as it goes between the commas of the key list.
    pub key_exprs: Option<Vec<String>>,
    /// The table's name after ON (default: schema-qualified).
    pub table: Option<String>,
    /// The WHERE clause's expression.
    pub predicate: Option<String>,
}

/// Storage parameters as `pg_get_indexdef` and `pg_get_constraintdef`
/// print them: `name=value`, the value quoted unless it is a word that
/// needs no quotes (`fillfactor='70'`, `deduplicate_items=off`).
pub fn flatten_reloptions(options: &[String]) -> String {
    options
        .iter()
        .map(|o| {
            let (name, value) = o.split_once('=').unwrap_or((o, ""));
            let value = if quote_ident(value) == value {
                value.to_owned()
            } else {
                format!("'{}'", value.replace('\'', "''"))
            };
            format!("{}={value}", quote_ident(name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `e` is one function call (`lower(a)`, not `lower(a) || f(b)`):
/// a name, then parentheses that close at its end.
pub fn is_function_call(e: &str) -> bool {
    let Some(open) = e.find('(') else {
        return false;
    };
    if open == 0
        || !e[..open]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"')
    {
        return false;
    }
    let mut depth = 0i32;
    let mut quoted = false;
    for (i, c) in e.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return i == e.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// [`index_definition`] with some parts printed by the caller.
pub fn index_definition_with(
    table: &RelationInfo,
    ix: &catalog::heap_catalog::IndexInfo,
    parts: IndexDefParts,
) -> String {
    let mut exprs = match parts.key_exprs {
        Some(keys) => keys,
        None => ix
            .row
            .exprs
            .as_deref()
            .map(crate::index_exprs::split_select_list)
            .transpose()
            .ok()
            .flatten()
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                // A function call as it is; anything else in parentheses,
                // inside the parentheses PostgreSQL's deparser puts around
                // an operator expression, as pg_get_indexdef prints them.
                if is_function_call(&e) {
                    e
                } else {
                    format!("(({e}))")
                }
            })
            .collect(),
    }
    .into_iter();
    let mut column = |attnum: i16| {
        if attnum == 0 {
            return exprs.next().unwrap_or_else(|| "?".to_owned());
        }
        table
            .columns
            .iter()
            .find(|c| c.attnum == attnum)
            .map_or_else(|| "?".to_owned(), |c| quote_ident(&c.name))
    };
    let nkey = ix.am.nkeyatts;
    let keys: Vec<String> = ix.row.keys[..nkey]
        .iter()
        .zip(&ix.am.options)
        .enumerate()
        .map(|(i, (&attnum, o))| {
            let order = match (o.desc, o.nulls_first) {
                (false, false) | (true, true) => "",
                (false, true) => " NULLS FIRST",
                (true, false) => " NULLS LAST",
            };
            // The operator class is named when it is not the column type's
            // default.
            let class = ix.row.opclasses.get(i).copied().unwrap_or(0);
            let type_oid = ix.am.keydesc.attrs.get(i).map_or(0, |a| a.type_oid);
            let class = match catalog::system::btree_opclass_by_oid(class) {
                Some(c) if catalog::system::btree_opclass(type_oid) != Some(c.oid) => {
                    format!(" {}", c.name)
                }
                _ => String::new(),
            };
            format!(
                "{}{class}{}{order}",
                column(attnum),
                if o.desc { " DESC" } else { "" }
            )
        })
        .collect();
    let table_name = parts.table.unwrap_or_else(|| {
        format!(
            "{}.{}",
            quote_ident(&table.namespace),
            quote_ident(&table.name)
        )
    });
    let mut def = format!(
        "CREATE {}INDEX {} ON {table_name} USING btree ({})",
        if ix.row.unique { "UNIQUE " } else { "" },
        quote_ident(&ix.name),
        keys.join(", ")
    );
    if ix.row.keys.len() > nkey {
        let include: Vec<String> = ix.row.keys[nkey..].iter().map(|&a| column(a)).collect();
        def.push_str(&format!(" INCLUDE ({})", include.join(", ")));
    }
    if ix.row.nulls_not_distinct {
        def.push_str(" NULLS NOT DISTINCT");
    }
    if !ix.options.is_empty() {
        def.push_str(&format!(" WITH ({})", flatten_reloptions(&ix.options)));
    }
    match (parts.predicate, &ix.row.pred) {
        (Some(printed), _) => def.push_str(&format!(" WHERE {printed}")),
        (None, Some(p)) => def.push_str(&format!(" WHERE ({p})")),
        (None, None) => {}
    }
    def
}

fn stat_user_tables(session: &mut Session) -> PgResult<VecDeque<Vec<Datum>>> {
    let db = session.database_oid;
    let mut tables: Vec<(u32, u32, String)> = Vec::new();
    crate::relcache::with_reader(session, |r| {
        let d = &PG_CLASS_DEF;
        r.scan(d, |_, row| {
            if let (
                Some(Datum::Oid(oid)),
                Some(Datum::Oid(nsp)),
                Some(Datum::Text(name)),
                Some(Datum::Text(kind)),
            ) = (
                row.get(d.col("oid")),
                row.get(d.col("relnamespace")),
                row.get(d.col("relname")),
                row.get(d.col("relkind")),
            ) && kind == "r"
                && *nsp != PG_CATALOG_NAMESPACE
                && *nsp != catalog::system::PG_TOAST_NAMESPACE
            {
                tables.push((*oid, *nsp, name.clone()));
            }
            Ok(true)
        })
    })?;
    let stats = storage::pgstat::TableStats::new(session.shmem);
    let mut out = VecDeque::new();
    for (oid, nsp, name) in tables {
        let schema =
            crate::relcache::with_reader(session, |r| r.namespace_name(nsp))?.unwrap_or_default();
        let s = stats.get(db, oid);
        let u = |f: fn(&storage::pgstat::TableStatsSlot) -> u64| {
            Datum::Int8(s.map(f).unwrap_or(0) as i64)
        };
        let i = |f: fn(&storage::pgstat::TableStatsSlot) -> i64| {
            Datum::Int8(s.map(f).unwrap_or(0).max(0))
        };
        out.push_back(vec![
            Datum::Oid(oid),
            Datum::Text(schema),
            Datum::Text(name),
            u(|s| s.seq_scan.load(Ordering::Relaxed)),
            u(|s| s.seq_tup_read.load(Ordering::Relaxed)),
            Datum::Null,
            Datum::Null,
            u(|s| s.n_tup_ins.load(Ordering::Relaxed)),
            u(|s| s.n_tup_upd.load(Ordering::Relaxed)),
            u(|s| s.n_tup_del.load(Ordering::Relaxed)),
            u(|s| s.n_tup_hot_upd.load(Ordering::Relaxed)),
            i(|s| s.n_live_tup.load(Ordering::Relaxed)),
            i(|s| s.n_dead_tup.load(Ordering::Relaxed)),
            i(|s| s.n_mod_since_analyze.load(Ordering::Relaxed)),
            i(|s| s.n_ins_since_vacuum.load(Ordering::Relaxed)),
            ts(s.map(|s| s.last_vacuum.load(Ordering::Relaxed))
                .unwrap_or(0)),
            ts(s.map(|s| s.last_autovacuum.load(Ordering::Relaxed))
                .unwrap_or(0)),
            ts(s.map(|s| s.last_analyze.load(Ordering::Relaxed))
                .unwrap_or(0)),
            ts(s.map(|s| s.last_autoanalyze.load(Ordering::Relaxed))
                .unwrap_or(0)),
            u(|s| s.vacuum_count.load(Ordering::Relaxed)),
            u(|s| s.autovacuum_count.load(Ordering::Relaxed)),
            u(|s| s.analyze_count.load(Ordering::Relaxed)),
            u(|s| s.autoanalyze_count.load(Ordering::Relaxed)),
        ]);
    }
    Ok(out)
}

/// When the shared WAL counters started: their last reset, or else the
/// creation of shared memory, where they start from zero (PostgreSQL, too,
/// starts a cluster's statistics with a reset when it finds none saved).
fn wal_stats_reset(session: &Session) -> Datum {
    match session
        .storage
        .xlog
        .ctl()
        .stats
        .stats_reset
        .load(Ordering::Relaxed)
    {
        0 => ts(session.shmem.postmaster_start_time()),
        t => Datum::Timestamptz(t),
    }
}

/// `pg_stat_wal`: one row of the WAL counters. Times are kept in microseconds
/// and shown in milliseconds, as PostgreSQL's are.
fn stat_wal(session: &Session) -> Vec<Datum> {
    let s = &session.storage.xlog.ctl().stats;
    let count = |c: &std::sync::atomic::AtomicU64| Datum::Int8(c.load(Ordering::Relaxed) as i64);
    let millis =
        |c: &std::sync::atomic::AtomicU64| Datum::Float8(c.load(Ordering::Relaxed) as f64 / 1000.0);
    vec![
        count(&s.records),
        count(&s.fpi),
        Datum::Numeric(Numeric::new(i128::from(s.bytes.load(Ordering::Relaxed)), 0)),
        count(&s.buffers_full),
        count(&s.write),
        count(&s.sync),
        millis(&s.write_time),
        millis(&s.sync_time),
        wal_stats_reset(session),
    ]
}

/// `pg_stat_bgwriter`: the checkpointer's counters; the background writer's
/// and backends' buffer write-outs are not counted yet and show 0.
fn stat_bgwriter(session: &Session) -> Vec<Datum> {
    let s = &session.storage.xlog.ctl().stats;
    let count = |c: &std::sync::atomic::AtomicU64| Datum::Int8(c.load(Ordering::Relaxed) as i64);
    vec![
        count(&s.checkpoints_timed),
        count(&s.checkpoints_req),
        Datum::Float8(0.0),
        Datum::Float8(0.0),
        count(&s.buffers_checkpoint),
        Datum::Int8(0),
        Datum::Int8(0),
        Datum::Int8(0),
        Datum::Int8(0),
        Datum::Int8(0),
        wal_stats_reset(session),
    ]
}

fn locks(session: &Session) -> VecDeque<Vec<Datum>> {
    storage::lmgr::LockManager::status(session.shmem)
        .into_iter()
        .map(|l| {
            vec![
                Datum::Text(l.locktype.into()),
                opt_oid(l.database),
                opt_oid(l.relation),
                l.page.map(|p| Datum::Int4(p as i32)).unwrap_or(Datum::Null),
                l.tuple
                    .map(|t| Datum::Int2(t as i16))
                    .unwrap_or(Datum::Null),
                Datum::Null,
                l.transactionid
                    .map(|x| Datum::Int8(x as i64))
                    .unwrap_or(Datum::Null),
                opt_oid(l.classid),
                opt_oid(l.objid),
                l.objsubid.map(Datum::Int2).unwrap_or(Datum::Null),
                Datum::Text(format!("{}/{}", l.proc_slot, l.pid)),
                Datum::Int4(l.pid),
                Datum::Text(l.mode.name().into()),
                Datum::Bool(l.granted),
                Datum::Bool(l.fastpath),
                l.waitstart.map(Datum::Timestamptz).unwrap_or(Datum::Null),
            ]
        })
        .collect()
}
