//! The views of `information_schema` (SQL's standard catalog, PostgreSQL's
//! `information_schema.sql`), as ORMs and drivers read them.
//!
//! Each view is SQL text over our `pg_catalog`, kept here rather than in
//! the catalogs: name lookup in schema `information_schema` (a real row of
//! `pg_namespace`, OID 13207 as in PostgreSQL 15) finds it after the
//! catalogs, and the planner expands its text as it expands a user's view
//! (`planner::analyze::from`). The views have PostgreSQL 15's OIDs, names,
//! columns and column order.
//!
//! The standard's domains (`sql_identifier`, `cardinal_number`,
//! `character_data`, `yes_or_no`, `time_stamp`) are written in the text as
//! casts and replaced by their base types (`name`, `integer`,
//! `varchar`, `varchar(3)`, `timestamptz`) before the text is used: we do
//! not create the domains yet, so a column's type is the domain's base type.
//!
//! Rows are those PostgreSQL shows: an object appears when the current user
//! is a member of its owner's role or holds a privilege on it. How we differ:
//! tables of other sessions' temporary schemas are not hidden, column-level
//! grants alone do not show a table (no `has_any_column_privilege`), and a
//! view's `is_insertable_into` / `is_updatable` are `NO` (no
//! `pg_relation_is_updatable` yet).

use std::sync::{Arc, OnceLock};

use sqlparser::ast;

use catalog::heap_catalog::RelationInfo;
use catalog::system::INFORMATION_SCHEMA_NAMESPACE;
use types::oid::{INT4, NAME, TEXT, TIMESTAMPTZ, VARCHAR};

/// One view: PostgreSQL 15's OID, its name, and its query.
struct View {
    oid: u32,
    name: &'static str,
    sql: &'static str,
}

/// The standard's domains and the base types that stand for them.
const DOMAINS: &[(&str, &str, u32)] = &[
    ("sql_identifier", "pg_catalog.name", NAME),
    ("cardinal_number", "pg_catalog.int4", INT4),
    ("character_data", "pg_catalog.varchar", VARCHAR),
    ("yes_or_no", "pg_catalog.varchar(3)", VARCHAR),
    ("time_stamp", "pg_catalog.timestamptz", TIMESTAMPTZ),
];

/// `pg_has_role(owner, 'USAGE')`, the test "the current user may see what
/// this role owns".
const VIEWS: &[View] = &[
    // Foreign data: a wrapper or server shows to members of its owner and
    // to holders of USAGE on it; a mapping or option with its server.
    View {
        oid: 13_515,
        name: "foreign_data_wrappers",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS foreign_data_wrapper_catalog,
       CAST(w.fdwname AS sql_identifier) AS foreign_data_wrapper_name,
       CAST(pg_get_userbyid(w.fdwowner) AS sql_identifier) AS authorization_identifier,
       CAST(NULL AS character_data) AS library_name,
       CAST('c' AS character_data) AS foreign_data_wrapper_language
FROM pg_foreign_data_wrapper w
WHERE pg_has_role(w.fdwowner, 'USAGE') OR has_foreign_data_wrapper_privilege(w.oid, 'USAGE')",
    },
    View {
        oid: 13_511,
        name: "foreign_data_wrapper_options",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS foreign_data_wrapper_catalog,
       CAST(w.fdwname AS sql_identifier) AS foreign_data_wrapper_name,
       CAST(o.option_name AS sql_identifier) AS option_name,
       CAST(o.option_value AS character_data) AS option_value
FROM pg_foreign_data_wrapper w, pg_options_to_table(w.fdwoptions) o
WHERE pg_has_role(w.fdwowner, 'USAGE') OR has_foreign_data_wrapper_privilege(w.oid, 'USAGE')",
    },
    View {
        oid: 13_528,
        name: "foreign_servers",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS foreign_server_catalog,
       CAST(s.srvname AS sql_identifier) AS foreign_server_name,
       CAST(current_database() AS sql_identifier) AS foreign_data_wrapper_catalog,
       CAST(w.fdwname AS sql_identifier) AS foreign_data_wrapper_name,
       CAST(s.srvtype AS character_data) AS foreign_server_type,
       CAST(s.srvversion AS character_data) AS foreign_server_version,
       CAST(pg_get_userbyid(s.srvowner) AS sql_identifier) AS authorization_identifier
FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
WHERE pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE')",
    },
    View {
        oid: 13_524,
        name: "foreign_server_options",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS foreign_server_catalog,
       CAST(s.srvname AS sql_identifier) AS foreign_server_name,
       CAST(o.option_name AS sql_identifier) AS option_name,
       CAST(o.option_value AS character_data) AS option_value
FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) o
WHERE pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE')",
    },
    View {
        oid: 13_555,
        name: "user_mappings",
        sql: "SELECT CAST(CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(u.umuser) END AS sql_identifier) AS authorization_identifier,
       CAST(current_database() AS sql_identifier) AS foreign_server_catalog,
       CAST(s.srvname AS sql_identifier) AS foreign_server_name
FROM pg_user_mapping u JOIN pg_foreign_server s ON s.oid = u.umserver
WHERE pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE')",
    },
    View {
        oid: 13_550,
        name: "user_mapping_options",
        sql: "SELECT CAST(CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(u.umuser) END AS sql_identifier) AS authorization_identifier,
       CAST(current_database() AS sql_identifier) AS foreign_server_catalog,
       CAST(s.srvname AS sql_identifier) AS foreign_server_name,
       CAST(o.option_name AS sql_identifier) AS option_name,
       CAST(CASE WHEN (u.umuser <> 0 AND pg_get_userbyid(u.umuser) = current_user)
                   OR (u.umuser = 0 AND pg_has_role(s.srvowner, 'USAGE'))
                   OR (SELECT a.rolsuper FROM pg_authid a WHERE a.rolname = current_user)
                 THEN o.option_value END AS character_data) AS option_value
FROM pg_user_mapping u JOIN pg_foreign_server s ON s.oid = u.umserver,
     pg_options_to_table(u.umoptions) o
WHERE pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE')",
    },
    View {
        oid: 13_541,
        name: "foreign_tables",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS foreign_table_catalog,
       CAST(n.nspname AS sql_identifier) AS foreign_table_schema,
       CAST(c.relname AS sql_identifier) AS foreign_table_name,
       CAST(current_database() AS sql_identifier) AS foreign_server_catalog,
       CAST(s.srvname AS sql_identifier) AS foreign_server_name
FROM pg_foreign_table t
     JOIN pg_class c ON c.oid = t.ftrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_foreign_server s ON s.oid = t.ftserver
WHERE pg_has_role(c.relowner, 'USAGE')
   OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')",
    },
    View {
        oid: 13_537,
        name: "foreign_table_options",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS foreign_table_catalog,
       CAST(n.nspname AS sql_identifier) AS foreign_table_schema,
       CAST(c.relname AS sql_identifier) AS foreign_table_name,
       CAST(o.option_name AS sql_identifier) AS option_name,
       CAST(o.option_value AS character_data) AS option_value
FROM pg_foreign_table t
     JOIN pg_class c ON c.oid = t.ftrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace,
     pg_options_to_table(t.ftoptions) o
WHERE pg_has_role(c.relowner, 'USAGE')
   OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')",
    },
    View {
        oid: 13_256,
        name: "information_schema_catalog_name",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS catalog_name",
    },
    View {
        oid: 13_382,
        name: "schemata",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS catalog_name,
       CAST(n.nspname AS sql_identifier) AS schema_name,
       CAST(pg_get_userbyid(n.nspowner) AS sql_identifier) AS schema_owner,
       CAST(NULL AS sql_identifier) AS default_character_set_catalog,
       CAST(NULL AS sql_identifier) AS default_character_set_schema,
       CAST(NULL AS sql_identifier) AS default_character_set_name,
       CAST(NULL AS character_data) AS sql_path
  FROM pg_catalog.pg_namespace n
 WHERE pg_has_role(n.nspowner, 'USAGE')
    OR has_schema_privilege(n.oid, 'CREATE, USAGE')",
    },
    View {
        oid: 13_425,
        name: "tables",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS table_catalog,
       CAST(n.nspname AS sql_identifier) AS table_schema,
       CAST(c.relname AS sql_identifier) AS table_name,
       CAST(CASE WHEN c.relpersistence = 't' THEN 'LOCAL TEMPORARY'
                 WHEN c.relkind IN ('r', 'p') THEN 'BASE TABLE'
                 WHEN c.relkind = 'v' THEN 'VIEW'
                 WHEN c.relkind = 'f' THEN 'FOREIGN' END AS character_data) AS table_type,
       CAST(NULL AS sql_identifier) AS self_referencing_column_name,
       CAST(NULL AS character_data) AS reference_generation,
       CAST(CASE WHEN ut.typname IS NULL THEN NULL ELSE current_database() END AS sql_identifier)
         AS user_defined_type_catalog,
       CAST(utn.nspname AS sql_identifier) AS user_defined_type_schema,
       CAST(ut.typname AS sql_identifier) AS user_defined_type_name,
       CAST(CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END AS yes_or_no)
         AS is_insertable_into,
       CAST(CASE WHEN ut.typname IS NULL THEN 'NO' ELSE 'YES' END AS yes_or_no) AS is_typed,
       CAST(NULL AS character_data) AS commit_action
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_type ut ON ut.oid = c.reloftype
  LEFT JOIN pg_catalog.pg_namespace utn ON utn.oid = ut.typnamespace
 WHERE c.relkind IN ('r', 'v', 'f', 'p')
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))",
    },
    View {
        oid: 13_295,
        name: "columns",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS table_catalog,
       CAST(n.nspname AS sql_identifier) AS table_schema,
       CAST(c.relname AS sql_identifier) AS table_name,
       CAST(a.attname AS sql_identifier) AS column_name,
       CAST(a.attnum AS cardinal_number) AS ordinal_position,
       CAST(CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS character_data)
         AS column_default,
       CAST(CASE WHEN a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) THEN 'NO' ELSE 'YES' END
         AS yes_or_no) AS is_nullable,
       CAST(CASE WHEN bt.typelem <> 0 AND bt.typlen = -1 THEN 'ARRAY'
                 WHEN bn.nspname = 'pg_catalog' THEN format_type(bt.oid, NULL)
                 ELSE 'USER-DEFINED' END AS character_data) AS data_type,
       CAST(CASE WHEN x.typmod = -1 THEN NULL
                 WHEN x.typid IN (1042, 1043) THEN x.typmod - 4
                 WHEN x.typid IN (1560, 1562) THEN x.typmod END AS cardinal_number)
         AS character_maximum_length,
       CAST(CASE WHEN x.typid IN (25, 1042, 1043) AND x.typmod = -1 THEN 1073741824
                 WHEN x.typid IN (1042, 1043) THEN (x.typmod - 4) * 4 END AS cardinal_number)
         AS character_octet_length,
       CAST(CASE WHEN x.typid = 21 THEN 16
                 WHEN x.typid = 23 THEN 32
                 WHEN x.typid = 20 THEN 64
                 WHEN x.typid = 700 THEN 24
                 WHEN x.typid = 701 THEN 53
                 WHEN x.typid = 1700 AND x.typmod <> -1 THEN ((x.typmod - 4) >> 16) & 65535
            END AS cardinal_number) AS numeric_precision,
       CAST(CASE WHEN x.typid IN (21, 23, 20, 700, 701) THEN 2
                 WHEN x.typid = 1700 THEN 10 END AS cardinal_number) AS numeric_precision_radix,
       CAST(CASE WHEN x.typid IN (21, 23, 20) THEN 0
                 WHEN x.typid = 1700 AND x.typmod <> -1 THEN (x.typmod - 4) & 65535
            END AS cardinal_number) AS numeric_scale,
       CAST(CASE WHEN x.typid = 1082 THEN 0
                 WHEN x.typid IN (1083, 1114, 1184, 1266) AND x.typmod < 0 THEN 6
                 WHEN x.typid IN (1083, 1114, 1184, 1266) THEN x.typmod
                 WHEN x.typid = 1186 AND (x.typmod < 0 OR x.typmod & 65535 = 65535) THEN 6
                 WHEN x.typid = 1186 THEN x.typmod & 65535
            END AS cardinal_number) AS datetime_precision,
       CAST(CASE WHEN x.typid = 1186 THEN
              nullif(upper(btrim(regexp_replace(format_type(x.typid, x.typmod),
                                                '^interval(\\([0-9]+\\))?', ''))), '')
            END AS character_data) AS interval_type,
       CAST(NULL AS cardinal_number) AS interval_precision,
       CAST(NULL AS sql_identifier) AS character_set_catalog,
       CAST(NULL AS sql_identifier) AS character_set_schema,
       CAST(NULL AS sql_identifier) AS character_set_name,
       CAST(CASE WHEN con.nspname IS NOT NULL THEN current_database() END AS sql_identifier)
         AS collation_catalog,
       CAST(con.nspname AS sql_identifier) AS collation_schema,
       CAST(co.collname AS sql_identifier) AS collation_name,
       CAST(CASE WHEN t.typtype = 'd' THEN current_database() END AS sql_identifier) AS domain_catalog,
       CAST(CASE WHEN t.typtype = 'd' THEN tn.nspname END AS sql_identifier) AS domain_schema,
       CAST(CASE WHEN t.typtype = 'd' THEN t.typname END AS sql_identifier) AS domain_name,
       CAST(current_database() AS sql_identifier) AS udt_catalog,
       CAST(bn.nspname AS sql_identifier) AS udt_schema,
       CAST(bt.typname AS sql_identifier) AS udt_name,
       CAST(NULL AS sql_identifier) AS scope_catalog,
       CAST(NULL AS sql_identifier) AS scope_schema,
       CAST(NULL AS sql_identifier) AS scope_name,
       CAST(NULL AS cardinal_number) AS maximum_cardinality,
       CAST(a.attnum AS sql_identifier) AS dtd_identifier,
       CAST('NO' AS yes_or_no) AS is_self_referencing,
       CAST(CASE WHEN a.attidentity IN ('a', 'd') THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_identity,
       CAST(CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END AS character_data)
         AS identity_generation,
       CAST(s.seqstart AS character_data) AS identity_start,
       CAST(s.seqincrement AS character_data) AS identity_increment,
       CAST(s.seqmax AS character_data) AS identity_maximum,
       CAST(s.seqmin AS character_data) AS identity_minimum,
       CAST(CASE WHEN s.seqcycle THEN 'YES' ELSE 'NO' END AS yes_or_no) AS identity_cycle,
       CAST(CASE WHEN a.attgenerated <> '' THEN 'ALWAYS' ELSE 'NEVER' END AS character_data)
         AS is_generated,
       CAST(CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS character_data)
         AS generation_expression,
       CAST(CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_updatable
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
  JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
  JOIN pg_catalog.pg_namespace bn ON bn.oid = bt.typnamespace
  CROSS JOIN LATERAL (SELECT bt.oid AS typid,
                             CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) x
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
        AND NOT (co.collnamespace = 11 AND co.collname = 'default')
  LEFT JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace
  LEFT JOIN pg_catalog.pg_depend dep ON dep.refclassid = 'pg_catalog.pg_class'::regclass
        AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
        AND dep.classid = 'pg_catalog.pg_class'::regclass AND a.attidentity IN ('a', 'd')
  LEFT JOIN pg_catalog.pg_sequence s ON s.seqrelid = dep.objid
 WHERE a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'v', 'f', 'p')
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_column_privilege(c.oid, a.attnum, 'SELECT, INSERT, UPDATE, REFERENCES'))",
    },
    View {
        oid: 13_483,
        name: "views",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS table_catalog,
       CAST(n.nspname AS sql_identifier) AS table_schema,
       CAST(c.relname AS sql_identifier) AS table_name,
       CAST(CASE WHEN pg_has_role(c.relowner, 'USAGE') THEN pg_get_viewdef(c.oid) END AS character_data)
         AS view_definition,
       CAST(CASE WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED'
                 WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL'
                 ELSE 'NONE' END AS character_data) AS check_option,
       CAST('NO' AS yes_or_no) AS is_updatable,
       CAST('NO' AS yes_or_no) AS is_insertable_into,
       CAST(CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                               WHERE g.tgrelid = c.oid AND g.tgtype & 81 = 81)
                 THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_trigger_updatable,
       CAST(CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                               WHERE g.tgrelid = c.oid AND g.tgtype & 73 = 73)
                 THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_trigger_deletable,
       CAST(CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                               WHERE g.tgrelid = c.oid AND g.tgtype & 69 = 69)
                 THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_trigger_insertable_into
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'v'
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))",
    },
    View {
        oid: 13_411,
        name: "table_constraints",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS constraint_catalog,
       CAST(cn.nspname AS sql_identifier) AS constraint_schema,
       CAST(k.conname AS sql_identifier) AS constraint_name,
       CAST(current_database() AS sql_identifier) AS table_catalog,
       CAST(n.nspname AS sql_identifier) AS table_schema,
       CAST(c.relname AS sql_identifier) AS table_name,
       CAST(CASE k.contype WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FOREIGN KEY'
                           WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' END AS character_data)
         AS constraint_type,
       CAST(CASE WHEN k.condeferrable THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_deferrable,
       CAST(CASE WHEN k.condeferred THEN 'YES' ELSE 'NO' END AS yes_or_no) AS initially_deferred,
       CAST('YES' AS yes_or_no) AS enforced,
       CAST(CASE WHEN k.contype = 'u' THEN
              CASE WHEN (SELECT i.indnullsnotdistinct FROM pg_catalog.pg_index i
                          WHERE i.indexrelid = k.conindid) THEN 'NO' ELSE 'YES' END
            END AS yes_or_no) AS nulls_distinct
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_namespace cn ON cn.oid = k.connamespace
  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE k.contype NOT IN ('t', 'x')
   AND c.relkind IN ('r', 'p')
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))
UNION ALL
SELECT CAST(current_database() AS sql_identifier),
       CAST(n.nspname AS sql_identifier),
       CAST(n.oid::text || '_' || c.oid::text || '_' || a.attnum::text || '_not_null' AS sql_identifier),
       CAST(current_database() AS sql_identifier),
       CAST(n.nspname AS sql_identifier),
       CAST(c.relname AS sql_identifier),
       CAST('CHECK' AS character_data),
       CAST('NO' AS yes_or_no),
       CAST('NO' AS yes_or_no),
       CAST('YES' AS yes_or_no),
       CAST(NULL AS yes_or_no)
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'p')
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))",
    },
    View {
        oid: 13_329,
        name: "key_column_usage",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS constraint_catalog,
       CAST(cn.nspname AS sql_identifier) AS constraint_schema,
       CAST(k.conname AS sql_identifier) AS constraint_name,
       CAST(current_database() AS sql_identifier) AS table_catalog,
       CAST(n.nspname AS sql_identifier) AS table_schema,
       CAST(c.relname AS sql_identifier) AS table_name,
       CAST(a.attname AS sql_identifier) AS column_name,
       CAST(e.n AS cardinal_number) AS ordinal_position,
       CAST(CASE WHEN k.contype = 'f' THEN
              (SELECT p.n FROM pg_catalog.pg_index i,
                      unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS p(attnum, n)
                WHERE i.indexrelid = k.conindid
                  AND p.attnum = (k.confkey::pg_catalog.int2[])
                                 [array_lower(k.confkey::pg_catalog.int2[], 1) + e.n::pg_catalog.int4 - 1])
            END AS cardinal_number) AS position_in_unique_constraint
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_namespace cn ON cn.oid = k.connamespace
  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL unnest(k.conkey::pg_catalog.int2[]) WITH ORDINALITY AS e(attnum, n)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = e.attnum
 WHERE k.contype IN ('p', 'u', 'f')
   AND c.relkind IN ('r', 'p')
   AND NOT a.attisdropped
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_column_privilege(c.oid, a.attnum, 'SELECT, INSERT, UPDATE, REFERENCES'))",
    },
    View {
        oid: 13_339,
        name: "referential_constraints",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS constraint_catalog,
       CAST(cn.nspname AS sql_identifier) AS constraint_schema,
       CAST(k.conname AS sql_identifier) AS constraint_name,
       CAST(CASE WHEN un.nspname IS NOT NULL THEN current_database() END AS sql_identifier)
         AS unique_constraint_catalog,
       CAST(un.nspname AS sql_identifier) AS unique_constraint_schema,
       CAST(u.conname AS sql_identifier) AS unique_constraint_name,
       CAST(CASE k.confmatchtype WHEN 'f' THEN 'FULL' WHEN 'p' THEN 'PARTIAL' WHEN 's' THEN 'NONE' END
         AS character_data) AS match_option,
       CAST(CASE k.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                               WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT'
                               WHEN 'a' THEN 'NO ACTION' END AS character_data) AS update_rule,
       CAST(CASE k.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                               WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT'
                               WHEN 'a' THEN 'NO ACTION' END AS character_data) AS delete_rule
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_namespace cn ON cn.oid = k.connamespace
  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  LEFT JOIN pg_catalog.pg_constraint u ON u.contype IN ('p', 'u')
        AND u.conrelid = k.confrelid AND u.conindid = k.conindid
  LEFT JOIN pg_catalog.pg_namespace un ON un.oid = u.connamespace
 WHERE k.contype = 'f'
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))",
    },
    View {
        oid: 13_300,
        name: "constraint_column_usage",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS table_catalog,
       CAST(n.nspname AS sql_identifier) AS table_schema,
       CAST(c.relname AS sql_identifier) AS table_name,
       CAST(a.attname AS sql_identifier) AS column_name,
       CAST(current_database() AS sql_identifier) AS constraint_catalog,
       CAST(cn.nspname AS sql_identifier) AS constraint_schema,
       CAST(k.conname AS sql_identifier) AS constraint_name
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_namespace cn ON cn.oid = k.connamespace
  JOIN pg_catalog.pg_class c ON c.oid = CASE k.contype WHEN 'f' THEN k.confrelid ELSE k.conrelid END
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
        AND a.attnum = ANY ((CASE k.contype WHEN 'f' THEN k.confkey ELSE k.conkey END)::pg_catalog.int2[])
 WHERE k.contype IN ('c', 'p', 'u', 'f')
   AND c.relkind IN ('r', 'p')
   AND NOT a.attisdropped
   AND pg_has_role(c.relowner, 'USAGE')",
    },
    View {
        oid: 13_260,
        name: "check_constraints",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS constraint_catalog,
       CAST(cn.nspname AS sql_identifier) AS constraint_schema,
       CAST(k.conname AS sql_identifier) AS constraint_name,
       CAST(substr(pg_get_constraintdef(k.oid), 7) AS character_data) AS check_clause
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_namespace cn ON cn.oid = k.connamespace
  LEFT JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  LEFT JOIN pg_catalog.pg_type t ON t.oid = k.contypid
 WHERE k.contype = 'c'
   AND pg_has_role(coalesce(c.relowner, t.typowner), 'USAGE')
UNION
SELECT CAST(current_database() AS sql_identifier),
       CAST(n.nspname AS sql_identifier),
       CAST(n.oid::text || '_' || c.oid::text || '_' || a.attnum::text || '_not_null' AS sql_identifier),
       CAST(a.attname || ' IS NOT NULL' AS character_data)
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'p')
   AND pg_has_role(c.relowner, 'USAGE')",
    },
    View {
        oid: 13_386,
        name: "sequences",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS sequence_catalog,
       CAST(n.nspname AS sql_identifier) AS sequence_schema,
       CAST(c.relname AS sql_identifier) AS sequence_name,
       CAST(format_type(s.seqtypid, NULL) AS character_data) AS data_type,
       CAST(CASE s.seqtypid WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 END AS cardinal_number)
         AS numeric_precision,
       CAST(2 AS cardinal_number) AS numeric_precision_radix,
       CAST(0 AS cardinal_number) AS numeric_scale,
       CAST(s.seqstart AS character_data) AS start_value,
       CAST(s.seqmin AS character_data) AS minimum_value,
       CAST(s.seqmax AS character_data) AS maximum_value,
       CAST(s.seqincrement AS character_data) AS increment,
       CAST(CASE WHEN s.seqcycle THEN 'YES' ELSE 'NO' END AS yes_or_no) AS cycle_option
  FROM pg_catalog.pg_sequence s
  JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'i')
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_sequence_privilege(c.oid, 'SELECT, UPDATE, USAGE'))",
    },
    View {
        oid: 13_440,
        name: "triggers",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS trigger_catalog,
       CAST(n.nspname AS sql_identifier) AS trigger_schema,
       CAST(g.tgname AS sql_identifier) AS trigger_name,
       CAST(ev.event AS character_data) AS event_manipulation,
       CAST(current_database() AS sql_identifier) AS event_object_catalog,
       CAST(n.nspname AS sql_identifier) AS event_object_schema,
       CAST(c.relname AS sql_identifier) AS event_object_table,
       CAST(rank() OVER (PARTITION BY n.nspname, c.relname, ev.bit, g.tgtype & 1, g.tgtype & 66
                         ORDER BY g.tgname) AS cardinal_number) AS action_order,
       CAST(CASE WHEN pg_has_role(c.relowner, 'USAGE') THEN
              (regexp_match(pg_get_triggerdef(g.oid), ' WHEN \\((.+)\\) EXECUTE FUNCTION '))[1]
            END AS character_data) AS action_condition,
       CAST(substr(pg_get_triggerdef(g.oid),
                   strpos(pg_get_triggerdef(g.oid), ' EXECUTE FUNCTION ') + 1) AS character_data)
         AS action_statement,
       CAST(CASE WHEN g.tgtype & 1 = 1 THEN 'ROW' ELSE 'STATEMENT' END AS character_data)
         AS action_orientation,
       CAST(CASE g.tgtype & 66 WHEN 2 THEN 'BEFORE' WHEN 64 THEN 'INSTEAD OF' ELSE 'AFTER' END
         AS character_data) AS action_timing,
       CAST(g.tgoldtable AS sql_identifier) AS action_reference_old_table,
       CAST(g.tgnewtable AS sql_identifier) AS action_reference_new_table,
       CAST(NULL AS sql_identifier) AS action_reference_old_row,
       CAST(NULL AS sql_identifier) AS action_reference_new_row,
       CAST(NULL AS time_stamp) AS created
  FROM pg_catalog.pg_trigger g
  JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN (VALUES (4, 'INSERT'), (8, 'DELETE'), (16, 'UPDATE')) AS ev(bit, event)
 WHERE g.tgtype & ev.bit <> 0
   AND NOT g.tgisinternal
   AND (pg_has_role(c.relowner, 'USAGE')
        OR has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))",
    },
    View {
        oid: 13_377,
        name: "routines",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS specific_catalog,
       CAST(n.nspname AS sql_identifier) AS specific_schema,
       CAST(p.proname || '_' || p.oid::text AS sql_identifier) AS specific_name,
       CAST(current_database() AS sql_identifier) AS routine_catalog,
       CAST(n.nspname AS sql_identifier) AS routine_schema,
       CAST(p.proname AS sql_identifier) AS routine_name,
       CAST(CASE p.prokind WHEN 'f' THEN 'FUNCTION' WHEN 'p' THEN 'PROCEDURE' END AS character_data) AS routine_type,
       CAST(NULL AS sql_identifier) AS module_catalog,
       CAST(NULL AS sql_identifier) AS module_schema,
       CAST(NULL AS sql_identifier) AS module_name,
       CAST(NULL AS sql_identifier) AS udt_catalog,
       CAST(NULL AS sql_identifier) AS udt_schema,
       CAST(NULL AS sql_identifier) AS udt_name,
       CAST(CASE WHEN p.prokind = 'p' THEN NULL WHEN t.oid IS NULL THEN format_type(p.prorettype, NULL) WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY' WHEN tn.nspname = 'pg_catalog' THEN format_type(t.oid, NULL) ELSE 'USER-DEFINED' END AS character_data) AS data_type,
       CAST(NULL AS cardinal_number) AS character_maximum_length,
       CAST(NULL AS cardinal_number) AS character_octet_length,
       CAST(NULL AS sql_identifier) AS character_set_catalog,
       CAST(NULL AS sql_identifier) AS character_set_schema,
       CAST(NULL AS sql_identifier) AS character_set_name,
       CAST(NULL AS sql_identifier) AS collation_catalog,
       CAST(NULL AS sql_identifier) AS collation_schema,
       CAST(NULL AS sql_identifier) AS collation_name,
       CAST(NULL AS cardinal_number) AS numeric_precision,
       CAST(NULL AS cardinal_number) AS numeric_precision_radix,
       CAST(NULL AS cardinal_number) AS numeric_scale,
       CAST(NULL AS cardinal_number) AS datetime_precision,
       CAST(NULL AS character_data) AS interval_type,
       CAST(NULL AS cardinal_number) AS interval_precision,
       CAST(CASE WHEN p.prokind <> 'p' THEN current_database() END AS sql_identifier) AS type_udt_catalog,
       CAST(CASE WHEN p.prokind <> 'p' THEN coalesce(tn.nspname, 'pg_catalog') END AS sql_identifier) AS type_udt_schema,
       CAST(CASE WHEN p.prokind <> 'p' THEN coalesce(t.typname, format_type(p.prorettype, NULL)) END AS sql_identifier) AS type_udt_name,
       CAST(NULL AS sql_identifier) AS scope_catalog,
       CAST(NULL AS sql_identifier) AS scope_schema,
       CAST(NULL AS sql_identifier) AS scope_name,
       CAST(NULL AS cardinal_number) AS maximum_cardinality,
       CAST(CASE WHEN p.prokind <> 'p' THEN 0 END AS sql_identifier) AS dtd_identifier,
       CAST(CASE WHEN p.prolang = 14 THEN 'SQL' ELSE 'EXTERNAL' END AS character_data) AS routine_body,
       CAST(CASE WHEN pg_has_role(p.proowner, 'USAGE') THEN p.prosrc END AS character_data) AS routine_definition,
       CAST(CASE WHEN p.prolang = 13 THEN p.prosrc END AS character_data) AS external_name,
       CAST(CASE p.prolang WHEN 14 THEN 'SQL' WHEN 13563 THEN 'PLPGSQL' WHEN 12 THEN 'INTERNAL' WHEN 13 THEN 'C' END AS character_data) AS external_language,
       CAST('GENERAL' AS character_data) AS parameter_style,
       CAST(CASE WHEN p.provolatile = 'i' THEN 'YES' ELSE 'NO' END AS yes_or_no) AS is_deterministic,
       CAST('MODIFIES' AS character_data) AS sql_data_access,
       CAST(CASE WHEN p.prokind <> 'p' THEN CASE WHEN p.proisstrict THEN 'YES' ELSE 'NO' END END AS yes_or_no) AS is_null_call,
       CAST(NULL AS character_data) AS sql_path,
       CAST('YES' AS yes_or_no) AS schema_level_routine,
       CAST(0 AS cardinal_number) AS max_dynamic_result_sets,
       CAST(NULL AS yes_or_no) AS is_user_defined_cast,
       CAST(NULL AS yes_or_no) AS is_implicitly_invocable,
       CAST(CASE WHEN p.prosecdef THEN 'DEFINER' ELSE 'INVOKER' END AS character_data) AS security_type,
       CAST(NULL AS sql_identifier) AS to_sql_specific_catalog,
       CAST(NULL AS sql_identifier) AS to_sql_specific_schema,
       CAST(NULL AS sql_identifier) AS to_sql_specific_name,
       CAST('NO' AS yes_or_no) AS as_locator,
       CAST(NULL AS time_stamp) AS created,
       CAST(NULL AS time_stamp) AS last_altered,
       CAST(NULL AS yes_or_no) AS new_savepoint_level,
       CAST('NO' AS yes_or_no) AS is_udt_dependent,
       CAST(NULL AS character_data) AS result_cast_from_data_type,
       CAST(NULL AS yes_or_no) AS result_cast_as_locator,
       CAST(NULL AS cardinal_number) AS result_cast_char_max_length,
       CAST(NULL AS cardinal_number) AS result_cast_char_octet_length,
       CAST(NULL AS sql_identifier) AS result_cast_char_set_catalog,
       CAST(NULL AS sql_identifier) AS result_cast_char_set_schema,
       CAST(NULL AS sql_identifier) AS result_cast_char_set_name,
       CAST(NULL AS sql_identifier) AS result_cast_collation_catalog,
       CAST(NULL AS sql_identifier) AS result_cast_collation_schema,
       CAST(NULL AS sql_identifier) AS result_cast_collation_name,
       CAST(NULL AS cardinal_number) AS result_cast_numeric_precision,
       CAST(NULL AS cardinal_number) AS result_cast_numeric_precision_radix,
       CAST(NULL AS cardinal_number) AS result_cast_numeric_scale,
       CAST(NULL AS cardinal_number) AS result_cast_datetime_precision,
       CAST(NULL AS character_data) AS result_cast_interval_type,
       CAST(NULL AS cardinal_number) AS result_cast_interval_precision,
       CAST(NULL AS sql_identifier) AS result_cast_type_udt_catalog,
       CAST(NULL AS sql_identifier) AS result_cast_type_udt_schema,
       CAST(NULL AS sql_identifier) AS result_cast_type_udt_name,
       CAST(NULL AS sql_identifier) AS result_cast_scope_catalog,
       CAST(NULL AS sql_identifier) AS result_cast_scope_schema,
       CAST(NULL AS sql_identifier) AS result_cast_scope_name,
       CAST(NULL AS cardinal_number) AS result_cast_maximum_cardinality,
       CAST(NULL AS sql_identifier) AS result_cast_dtd_identifier
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  LEFT JOIN pg_catalog.pg_type t ON t.oid = p.prorettype AND p.prokind <> 'p'
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
 WHERE pg_has_role(p.proowner, 'USAGE')
    OR has_function_privilege(p.oid, 'EXECUTE')",
    },
    View {
        oid: 13_334,
        name: "parameters",
        sql: "SELECT CAST(current_database() AS sql_identifier) AS specific_catalog,
       CAST(n.nspname AS sql_identifier) AS specific_schema,
       CAST(p.proname || '_' || p.oid::text AS sql_identifier) AS specific_name,
       CAST(a.n AS cardinal_number) AS ordinal_position,
       CAST(CASE coalesce((p.proargmodes)[a.n::pg_catalog.int4], 'i') WHEN 'i' THEN 'IN' WHEN 'o' THEN 'OUT' WHEN 'b' THEN 'INOUT' WHEN 'v' THEN 'IN' WHEN 't' THEN 'OUT' END AS character_data) AS parameter_mode,
       CAST('NO' AS yes_or_no) AS is_result,
       CAST('NO' AS yes_or_no) AS as_locator,
       CAST(nullif((p.proargnames)[a.n::pg_catalog.int4], '') AS sql_identifier) AS parameter_name,
       CAST(CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY' WHEN tn.nspname = 'pg_catalog' THEN format_type(t.oid, NULL) ELSE 'USER-DEFINED' END AS character_data) AS data_type,
       CAST(NULL AS cardinal_number) AS character_maximum_length,
       CAST(NULL AS cardinal_number) AS character_octet_length,
       CAST(NULL AS sql_identifier) AS character_set_catalog,
       CAST(NULL AS sql_identifier) AS character_set_schema,
       CAST(NULL AS sql_identifier) AS character_set_name,
       CAST(NULL AS sql_identifier) AS collation_catalog,
       CAST(NULL AS sql_identifier) AS collation_schema,
       CAST(NULL AS sql_identifier) AS collation_name,
       CAST(NULL AS cardinal_number) AS numeric_precision,
       CAST(NULL AS cardinal_number) AS numeric_precision_radix,
       CAST(NULL AS cardinal_number) AS numeric_scale,
       CAST(NULL AS cardinal_number) AS datetime_precision,
       CAST(NULL AS character_data) AS interval_type,
       CAST(NULL AS cardinal_number) AS interval_precision,
       CAST(current_database() AS sql_identifier) AS udt_catalog,
       CAST(tn.nspname AS sql_identifier) AS udt_schema,
       CAST(t.typname AS sql_identifier) AS udt_name,
       CAST(NULL AS sql_identifier) AS scope_catalog,
       CAST(NULL AS sql_identifier) AS scope_schema,
       CAST(NULL AS sql_identifier) AS scope_name,
       CAST(NULL AS cardinal_number) AS maximum_cardinality,
       CAST(a.n AS sql_identifier) AS dtd_identifier,
       CAST(CASE WHEN pg_has_role(p.proowner, 'USAGE') AND d.is_input
                 AND d.input_position > p.pronargs - p.pronargdefaults
            THEN (p.proargdefaults)[(d.input_position - (p.pronargs - p.pronargdefaults))::pg_catalog.int4]
            END AS character_data) AS parameter_default
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  CROSS JOIN LATERAL unnest(coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[]))
        WITH ORDINALITY AS a(typid, n)
  CROSS JOIN LATERAL (
        SELECT coalesce((p.proargmodes)[a.n::pg_catalog.int4], 'i') IN ('i', 'b', 'v') AS is_input,
               CASE WHEN p.proargmodes IS NULL THEN a.n
                    ELSE (SELECT count(*) FROM unnest(p.proargmodes) WITH ORDINALITY AS m(mode, k)
                           WHERE m.k <= a.n AND m.mode IN ('i', 'b', 'v')) END AS input_position) d
  JOIN pg_catalog.pg_type t ON t.oid = a.typid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
 WHERE pg_has_role(p.proowner, 'USAGE')
    OR has_function_privilege(p.oid, 'EXECUTE')",
    },
];

/// A view's query with the domains replaced, and its columns (name and
/// type), worked out once.
struct Prepared {
    sql: String,
    columns: Vec<(String, u32)>,
}

fn prepared(index: usize) -> &'static Prepared {
    static ALL: OnceLock<Vec<Prepared>> = OnceLock::new();
    &ALL.get_or_init(|| VIEWS.iter().map(prepare).collect())[index]
}

/// Replaces `AS <domain>)` by its base type, and reads the output columns
/// off the first SELECT list: `CAST(... AS <domain>) AS <name>`.
fn prepare(view: &View) -> Prepared {
    let mut sql = view.sql.to_owned();
    for (domain, base, _) in DOMAINS {
        sql = sql.replace(&format!(" AS {domain})"), &format!(" AS {base})"));
    }
    let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(view.sql)
        .and_then(|mut p| p.parse_query());
    let mut columns = Vec::new();
    if let Ok(query) = parsed {
        let mut body = &*query.body;
        while let ast::SetExpr::SetOperation { left, .. } = body {
            body = left;
        }
        if let ast::SetExpr::Select(select) = body {
            for item in &select.projection {
                if let ast::SelectItem::ExprWithAlias { expr, alias } = item {
                    let type_oid = match expr {
                        ast::Expr::Cast { data_type, .. } => {
                            let written = data_type.to_string();
                            DOMAINS
                                .iter()
                                .find(|(d, _, _)| *d == written)
                                .map_or(TEXT, |&(_, _, t)| t)
                        }
                        _ => TEXT,
                    };
                    columns.push((alias.value.clone(), type_oid));
                }
            }
        }
    }
    Prepared { sql, columns }
}

/// The view `name` of `information_schema`, as a relation.
pub fn lookup(name: &str) -> Option<Arc<RelationInfo>> {
    let index = VIEWS.iter().position(|v| v.name == name)?;
    Some(relation(index))
}

/// View `oid` of `information_schema`, as a relation.
pub fn by_oid(oid: u32) -> Option<Arc<RelationInfo>> {
    VIEWS.iter().position(|v| v.oid == oid).map(relation)
}

fn relation(index: usize) -> Arc<RelationInfo> {
    let view = &VIEWS[index];
    let p = prepared(index);
    crate::sysviews::view_relation(
        (view.oid, view.name),
        (INFORMATION_SCHEMA_NAMESPACE, "information_schema"),
        p.columns.iter().cloned(),
        Some(p.sql.clone()),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every view parses and names as many columns as its first SELECT
    /// list has.
    #[test]
    fn views_parse_and_name_their_columns() {
        for (i, v) in VIEWS.iter().enumerate() {
            let p = prepared(i);
            let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                .try_with_sql(&p.sql)
                .and_then(|mut p| p.parse_query());
            assert!(parsed.is_ok(), "{}: {parsed:?}", v.name);
            assert!(!p.sql.contains("sql_identifier"), "{}", v.name);
            assert!(
                p.columns.iter().all(|(n, _)| !n.is_empty()),
                "{}: {:?}",
                v.name,
                p.columns
            );
        }
        let columns = &prepared(VIEWS.iter().position(|v| v.name == "columns").unwrap()).columns;
        assert_eq!(columns.len(), 44);
        assert_eq!(columns[4], ("ordinal_position".into(), INT4));
    }
}
