//! Reading and writing the system catalogs through the heap, under MVCC.
//!
//! Catalog rows are ordinary heap tuples, so DDL is transactional for free: a
//! CREATE TABLE's `pg_class` row carries the creating transaction's xid and is
//! invisible to everybody else until it commits, and gone for good if it
//! aborts. Lookups use a catalog snapshot the caller takes fresh for each
//! statement (PostgreSQL's catalog snapshot), so DDL committed by another
//! session is seen by the next statement even inside a REPEATABLE READ
//! transaction, as in PostgreSQL.
//!
//! There are no catalog indexes yet: a lookup scans the catalog. The backend
//! caches what it read (see `backend::relcache`) and drops the cache when the
//! shared catalog generation moves.

use storage::heap::heapam::{self, HeapEnv, HeapScan, WriteXact};
use storage::heap::tuple::{deform_tuple, form_tuple};
use storage::page::ItemPointer;
use storage::smgr::RelFileLocator;
use storage::transam::Snapshot;
use storage::transam::visibility::Me;
use types::{Datum, PgError, PgResult};

use crate::system::{
    self, AttributeRow, AuthidRow, CONSTRAINT_FOREIGN, CatalogDef, ClassRow, ConstraintRow,
    DEPENDENCY_INTERNAL, DatabaseRow, DependRow, IndexRow, PG_ATTRDEF_DEF, PG_ATTRIBUTE_DEF,
    PG_AUTHID_DEF, PG_CLASS, PG_CLASS_DEF, PG_CONSTRAINT_DEF, PG_DATABASE_DEF, PG_DEPEND_DEF,
    PG_INDEX_DEF, PG_NAMESPACE_DEF, PG_PROC_DEF, PG_REWRITE_DEF, PG_SEQUENCE_DEF, PG_TYPE_DEF,
    ProcRow, SequenceRow,
};

/// One column of a relation as the planner needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    pub attnum: i16,
    pub not_null: bool,
    /// The default expression's SQL text.
    pub default: Option<String>,
    pub dropped: bool,
    /// `attidentity` (`'\0'` for none); an identity column's `default` is
    /// the `nextval` of its sequence.
    pub identity: char,
    /// `attgenerated`: `'s'` a stored generated column (whose `default`
    /// is then its generation expression), `'\0'` none.
    pub generated: char,
    /// `attislocal`
    pub is_local: bool,
    /// `attinhcount`
    pub inhcount: i32,
    /// `attcollation` from a COLLATE clause (None: the type's).
    pub collation: Option<u32>,
    /// `attstorage` when ALTER COLUMN ... SET STORAGE chose one (`'\0'`:
    /// the type's `typstorage`).
    pub storage: char,
    /// `attcompression`: `'p'` pglz, `'l'` lz4, `'\0'` the session's
    /// `default_toast_compression`.
    pub compression: char,
}

/// A `pg_type` row of a user-defined type (see [`CatalogReader::user_types`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTypeRow {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub owner: u32,
    pub typtype: char,
    pub elem: u32,
    pub array: u32,
    /// `typrelid`: the relation of a composite (row) type.
    pub relid: u32,
    /// A domain's `typbasetype`, `typtypmod`, `typnotnull`, `typdefault`
    /// and `typcollation`.
    pub base: u32,
    pub typmod: i32,
    pub not_null: bool,
    pub default: Option<String>,
    pub collation: u32,
}

/// A relation: its `pg_class` row, its columns and where the row is.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationInfo {
    pub oid: u32,
    pub name: String,
    pub namespace_oid: u32,
    pub namespace: String,
    pub relfilenode: u32,
    pub kind: char,
    pub persistence: char,
    /// A shared catalog (`global/`).
    pub shared: bool,
    pub columns: Vec<ColumnInfo>,
    /// Where its `pg_class` row is (to update or delete it).
    pub class_tid: ItemPointer,
    /// `relhasindex`
    pub has_index: bool,
    /// A table's indexes, in OID order (none for other kinds).
    pub indexes: Vec<IndexInfo>,
    /// A table's `pg_constraint` rows, by name (CHECK constraints are
    /// evaluated in this order, as in PostgreSQL).
    pub constraints: Vec<ConstraintRow>,
    /// The foreign keys of other tables (and its own) that reference this one.
    pub referenced_by: Vec<ConstraintRow>,
    /// A view's query (SQL text).
    pub view_query: Option<String>,
    /// `relispopulated`: false for a materialized view without data (its
    /// scans are refused until REFRESH fills it).
    pub populated: bool,
    /// `relhassubclass`
    pub has_subclass: bool,
    /// The direct inheritance children or partitions, in OID order (read
    /// only when `relhassubclass` is set).
    pub children: Vec<u32>,
    /// A partition's bound (`relpartbound`).
    pub partbound: Option<String>,
    /// A partitioned table's key.
    pub partition_key: Option<system::PartitionedTableRow>,
    /// A partition's parent (0 for a relation that is not a partition).
    pub partition_parent: u32,
    /// Its triggers, by name.
    pub triggers: Vec<system::TriggerRow>,
    /// Its rules made by CREATE RULE, by name (PostgreSQL's firing order).
    pub rules: Vec<system::RuleRow>,
    /// `relowner`
    pub owner: u32,
    /// `relrowsecurity` and `relforcerowsecurity`.
    pub row_security: bool,
    pub force_row_security: bool,
    /// Its row-level security policies (`pg_policy`), by name.
    pub policies: Vec<system::PolicyRow>,
    /// Its size and column statistics as VACUUM and ANALYZE last saw them.
    pub statistics: std::sync::Arc<crate::statistics::RelationStatistics>,
    /// Its storage parameters (`reloptions`, see [`crate::reloptions`]).
    pub options: Vec<String>,
}

impl RelationInfo {
    /// The bytes an insert leaves free on a heap page of this table (its
    /// fillfactor's share; 0 by default).
    pub fn heap_save_free_space(&self) -> usize {
        crate::reloptions::heap_save_free_space(&self.options, storage::smgr::BLCKSZ)
    }
}

/// An index of a table: its `pg_class` facts, its `pg_index` row and its
/// own columns.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexInfo {
    pub oid: u32,
    pub name: String,
    pub relfilenode: u32,
    pub row: IndexRow,
    /// The index's columns (named after the table's), key columns first.
    pub columns: Vec<ColumnInfo>,
    /// What the B-tree access method needs.
    pub am: storage::nbtree::IndexDesc,
    /// Its storage parameters (`pg_class.reloptions`).
    pub options: Vec<String>,
}

impl IndexInfo {
    pub fn locator(&self, db_oid: u32) -> RelFileLocator {
        RelFileLocator::new(db_oid, self.relfilenode)
    }
}

impl RelationInfo {
    /// The relation's main file in database `db_oid`.
    pub fn locator(&self, db_oid: u32) -> RelFileLocator {
        if self.shared {
            RelFileLocator::shared(self.relfilenode)
        } else {
            RelFileLocator::new(db_oid, self.relfilenode)
        }
    }
}

/// The access method's description of an index from its catalog rows.
pub fn index_am_desc(
    name: &str,
    columns: &[ColumnInfo],
    row: &IndexRow,
    reloptions: &[String],
) -> PgResult<storage::nbtree::IndexDesc> {
    let attrs = columns
        .iter()
        .map(|c| storage::heap::tuple::Attribute::new(c.name.clone(), c.type_oid, c.typmod))
        .collect::<PgResult<Vec<_>>>()?;
    let nkey = (row.nkeyatts.max(0) as usize).min(attrs.len());
    let options = (0..nkey)
        .map(|i| {
            let o = row.options.get(i).copied().unwrap_or(0);
            storage::nbtree::ColumnOrder {
                desc: o & system::INDOPTION_DESC != 0,
                nulls_first: o & system::INDOPTION_NULLS_FIRST != 0,
            }
        })
        .collect();
    let mut desc = storage::nbtree::IndexDesc::new(name, attrs, nkey, options, row.unique);
    desc.nulls_not_distinct = row.nulls_not_distinct;
    desc.leaf_fillfactor = crate::reloptions::btree_leaf_fillfactor(reloptions);
    Ok(desc)
}

/// Reads catalogs with one snapshot.
pub struct CatalogReader<'x, 'e, 'a> {
    pub env: &'x HeapEnv<'e, 'a>,
    pub snapshot: &'x Snapshot,
    pub me: Me<'x>,
    pub db_oid: u32,
}

fn oid_at(row: &[Datum], i: usize) -> u32 {
    match row.get(i) {
        Some(Datum::Oid(o)) => *o,
        _ => 0,
    }
}

fn text_at(row: &[Datum], i: usize) -> String {
    match row.get(i) {
        Some(Datum::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

fn char_at(row: &[Datum], i: usize) -> char {
    text_at(row, i).chars().next().unwrap_or('\0')
}

fn bool_at(row: &[Datum], i: usize) -> bool {
    matches!(row.get(i), Some(Datum::Bool(true)))
}

fn i16_at(row: &[Datum], i: usize) -> i16 {
    match row.get(i) {
        Some(Datum::Int2(v)) => *v,
        _ => 0,
    }
}

fn i32_at(row: &[Datum], i: usize) -> i32 {
    match row.get(i) {
        Some(Datum::Int4(v)) => *v,
        _ => 0,
    }
}

/// A `pg_class` row read by [`CatalogReader::scan`].
pub fn class_from_datums(r: &[Datum]) -> ClassRow {
    ClassRow::from_datums(r)
}

impl ClassRow {
    fn from_datums(r: &[Datum]) -> ClassRow {
        let d = &PG_CLASS_DEF;
        ClassRow {
            oid: oid_at(r, d.col("oid")),
            name: text_at(r, d.col("relname")),
            namespace: oid_at(r, d.col("relnamespace")),
            reltype: oid_at(r, d.col("reltype")),
            owner: oid_at(r, d.col("relowner")),
            relfilenode: oid_at(r, d.col("relfilenode")),
            persistence: char_at(r, d.col("relpersistence")),
            kind: char_at(r, d.col("relkind")),
            natts: i16_at(r, d.col("relnatts")),
            shared: bool_at(r, d.col("relisshared")),
            has_index: bool_at(r, d.col("relhasindex")),
            checks: i16_at(r, d.col("relchecks")),
            has_triggers: bool_at(r, d.col("relhastriggers")),
            has_rules: bool_at(r, d.col("relhasrules")),
            row_security: bool_at(r, d.col("relrowsecurity")),
            force_row_security: bool_at(r, d.col("relforcerowsecurity")),
            has_subclass: bool_at(r, d.col("relhassubclass")),
            is_partition: bool_at(r, d.col("relispartition")),
            replident: match char_at(r, d.col("relreplident")) {
                'd' => '\0',
                c => c,
            },
            partbound: match r.get(d.col("relpartbound")) {
                Some(Datum::Text(t)) => Some(t.clone()),
                _ => None,
            },
            options: match r.get(d.col("reloptions")) {
                Some(Datum::Array(a)) => a
                    .elems
                    .iter()
                    .filter_map(|e| match e {
                        Datum::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            acl: text_array_at(r, d.col("relacl")),
            pages: match r.get(d.col("relpages")) {
                Some(Datum::Int4(v)) => *v,
                _ => 0,
            },
            tuples: match r.get(d.col("reltuples")) {
                Some(Datum::Float4(v)) => *v,
                _ => -1.0,
            },
            all_visible: match r.get(d.col("relallvisible")) {
                Some(Datum::Int4(v)) => *v,
                _ => 0,
            },
            populated: !matches!(r.get(d.col("relispopulated")), Some(Datum::Bool(false))),
        }
    }
}

/// What a `pg_namespace` row says (besides its OID).
#[derive(Debug, Clone)]
pub struct NamespaceRow {
    pub name: String,
    pub owner: u32,
    /// `nspacl`: the ACL items' text, None for the default.
    pub acl: Option<Vec<String>>,
}

/// A `text[]` column (an ACL): None if NULL.
pub fn text_array_at(r: &[Datum], i: usize) -> Option<Vec<String>> {
    match r.get(i) {
        Some(Datum::Array(a)) => Some(
            a.elems
                .iter()
                .filter_map(|e| match e {
                    Datum::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

impl AttributeRow {
    fn from_datums(r: &[Datum]) -> AttributeRow {
        let d = &PG_ATTRIBUTE_DEF;
        AttributeRow {
            relid: oid_at(r, d.col("attrelid")),
            name: text_at(r, d.col("attname")),
            type_oid: oid_at(r, d.col("atttypid")),
            attnum: i16_at(r, d.col("attnum")),
            typmod: i32_at(r, d.col("atttypmod")),
            not_null: bool_at(r, d.col("attnotnull")),
            has_default: bool_at(r, d.col("atthasdef")),
            dropped: bool_at(r, d.col("attisdropped")),
            identity: char_at(r, d.col("attidentity")),
            generated: char_at(r, d.col("attgenerated")),
            is_local: bool_at(r, d.col("attislocal")),
            inhcount: i32_at(r, d.col("attinhcount")),
            acl: text_array_at(r, d.col("attacl")),
            stat_target: i32_at(r, d.col("attstattarget")),
            collation: Some(oid_at(r, d.col("attcollation")))
                .filter(|&c| c != crate::system::type_collation(oid_at(r, d.col("atttypid")))),
            fdw_options: text_array_at(r, d.col("attfdwoptions")),
            options: text_array_at(r, d.col("attoptions")),
            storage: match char_at(r, d.col("attstorage")) {
                c if c == crate::system::type_storage_char(oid_at(r, d.col("atttypid"))) => '\0',
                c => c,
            },
            compression: char_at(r, d.col("attcompression")),
        }
    }
}

/// Where a catalog's file is for database `db_oid`.
pub fn catalog_locator(def: &CatalogDef, db_oid: u32) -> RelFileLocator {
    if def.shared {
        RelFileLocator::shared(def.oid)
    } else {
        RelFileLocator::new(db_oid, def.oid)
    }
}

impl CatalogReader<'_, '_, '_> {
    fn locator(&self, def: &CatalogDef) -> RelFileLocator {
        catalog_locator(def, self.db_oid)
    }

    /// Every `pg_database` row.
    pub fn databases(&self) -> PgResult<Vec<(ItemPointer, DatabaseRow)>> {
        let d = &PG_DATABASE_DEF;
        let mut out = Vec::new();
        self.scan(d, |tid, r| {
            out.push((
                tid,
                DatabaseRow {
                    oid: oid_at(&r, d.col("oid")),
                    name: text_at(&r, d.col("datname")),
                    owner: oid_at(&r, d.col("datdba")),
                    is_template: bool_at(&r, d.col("datistemplate")),
                    allow_connections: bool_at(&r, d.col("datallowconn")),
                    conn_limit: i32_at(&r, d.col("datconnlimit")),
                    acl: match r.get(d.col("datacl")) {
                        Some(Datum::Array(a)) => a
                            .elems
                            .iter()
                            .filter_map(|e| match e {
                                Datum::Text(t) => Some(t.clone()),
                                _ => None,
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                },
            ));
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every `pg_authid` row.
    pub fn roles(&self) -> PgResult<Vec<(ItemPointer, AuthidRow)>> {
        let d = &PG_AUTHID_DEF;
        let mut out = Vec::new();
        self.scan(d, |tid, r| {
            out.push((
                tid,
                AuthidRow {
                    oid: oid_at(&r, d.col("oid")),
                    name: text_at(&r, d.col("rolname")),
                    superuser: bool_at(&r, d.col("rolsuper")),
                    inherit: bool_at(&r, d.col("rolinherit")),
                    create_role: bool_at(&r, d.col("rolcreaterole")),
                    create_db: bool_at(&r, d.col("rolcreatedb")),
                    can_login: bool_at(&r, d.col("rolcanlogin")),
                    replication: bool_at(&r, d.col("rolreplication")),
                    bypass_rls: bool_at(&r, d.col("rolbypassrls")),
                    conn_limit: i32_at(&r, d.col("rolconnlimit")),
                    password: match r.get(d.col("rolpassword")) {
                        Some(Datum::Text(p)) => Some(p.clone()),
                        _ => None,
                    },
                },
            ));
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every `pg_auth_members` row (role memberships of GRANT role TO).
    pub fn auth_members(&self) -> PgResult<Vec<(ItemPointer, system::AuthMemberRow)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_AUTH_MEMBERS_DEF, |tid, r| {
            out.push((
                tid,
                system::AuthMemberRow {
                    role: oid_at(&r, 0),
                    member: oid_at(&r, 1),
                    grantor: oid_at(&r, 2),
                    admin_option: bool_at(&r, 3),
                },
            ));
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every column with privileges of its own (`attacl`): (relation,
    /// column name, its ACL text), in catalog order.
    pub fn column_acls(&self) -> PgResult<Vec<(u32, String, Vec<String>)>> {
        let mut out = Vec::new();
        self.scan(&PG_ATTRIBUTE_DEF, |_, r| {
            let a = AttributeRow::from_datums(&r);
            if let Some(acl) = a.acl
                && !a.dropped
            {
                out.push((a.relid, a.name, acl));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The `pg_authid` row of role `name`.
    pub fn role(&self, name: &str) -> PgResult<Option<(ItemPointer, AuthidRow)>> {
        Ok(self.roles()?.into_iter().find(|(_, r)| r.name == name))
    }

    /// The `pg_database` row of `name`.
    pub fn database(&self, name: &str) -> PgResult<Option<(ItemPointer, DatabaseRow)>> {
        Ok(self.databases()?.into_iter().find(|(_, d)| d.name == name))
    }

    /// Calls `f` with every visible row of a catalog until it returns false.
    pub fn scan(
        &self,
        def: &CatalogDef,
        mut f: impl FnMut(ItemPointer, Vec<Datum>) -> PgResult<bool>,
    ) -> PgResult<()> {
        let desc = def.tuple_desc()?;
        let mut scan = HeapScan::begin(self.env, self.locator(def))?;
        while let Some((tid, bytes)) = scan.next(self.env, self.snapshot, self.me)? {
            if !f(tid, deform_tuple(&desc, bytes)?)? {
                break;
            }
        }
        Ok(())
    }

    /// The first visible row of a catalog for which `pick` returns something.
    fn find<T>(
        &self,
        def: &CatalogDef,
        mut pick: impl FnMut(ItemPointer, &[Datum]) -> Option<T>,
    ) -> PgResult<Option<T>> {
        let mut found = None;
        self.scan(def, |tid, r| {
            found = pick(tid, &r);
            Ok(found.is_none())
        })?;
        Ok(found)
    }

    /// The OID of schema `name`.
    pub fn namespace_oid(&self, name: &str) -> PgResult<Option<u32>> {
        self.find(&PG_NAMESPACE_DEF, |_, r| {
            (text_at(r, 1) == name).then(|| oid_at(r, 0))
        })
    }

    /// Schema `oid`'s row: (tid, name, owner, nspacl).
    pub fn namespace_full(&self, oid: u32) -> PgResult<Option<(ItemPointer, NamespaceRow)>> {
        self.find(&PG_NAMESPACE_DEF, |tid, r| {
            (oid_at(r, 0) == oid).then(|| {
                (
                    tid,
                    NamespaceRow {
                        name: text_at(r, 1),
                        owner: oid_at(r, 2),
                        acl: text_array_at(r, 3),
                    },
                )
            })
        })
    }

    /// The name of schema `oid`.
    pub fn namespace_name(&self, oid: u32) -> PgResult<Option<String>> {
        self.find(&PG_NAMESPACE_DEF, |_, r| {
            (oid_at(r, 0) == oid).then(|| text_at(r, 1))
        })
    }

    /// The `pg_class` row of `name` in schema `namespace`.
    pub fn find_class(
        &self,
        namespace: u32,
        name: &str,
    ) -> PgResult<Option<(ItemPointer, ClassRow)>> {
        self.find(&PG_CLASS_DEF, |tid, r| {
            let row = ClassRow::from_datums(r);
            (row.namespace == namespace && row.name == name).then_some((tid, row))
        })
    }

    /// The `pg_class` row of relation `oid`.
    pub fn class_by_oid(&self, oid: u32) -> PgResult<Option<(ItemPointer, ClassRow)>> {
        self.find(&PG_CLASS_DEF, |tid, r| {
            let row = ClassRow::from_datums(r);
            (row.oid == oid).then_some((tid, row))
        })
    }

    /// The `pg_attribute` rows of relation `relid` (user columns, attnum > 0),
    /// in attnum order.
    pub fn attributes(&self, relid: u32) -> PgResult<Vec<(ItemPointer, AttributeRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_ATTRIBUTE_DEF, |tid, r| {
            let row = AttributeRow::from_datums(&r);
            if row.relid == relid && row.attnum > 0 {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        out.sort_by_key(|(_, a)| a.attnum);
        Ok(out)
    }

    /// Every live user column of the relations in `relids`, by relation,
    /// in attnum order (one scan of `pg_attribute`).
    pub fn attributes_of(
        &self,
        relids: &std::collections::HashSet<u32>,
    ) -> PgResult<std::collections::HashMap<u32, Vec<AttributeRow>>> {
        let mut out: std::collections::HashMap<u32, Vec<AttributeRow>> = Default::default();
        self.scan(&PG_ATTRIBUTE_DEF, |_, r| {
            let row = AttributeRow::from_datums(&r);
            if row.attnum > 0 && !row.dropped && relids.contains(&row.relid) {
                out.entry(row.relid).or_default().push(row);
            }
            Ok(true)
        })?;
        for v in out.values_mut() {
            v.sort_by_key(|a| a.attnum);
        }
        Ok(out)
    }

    /// The `pg_attrdef` rows of relation `relid`: (where, attnum, SQL text).
    pub fn defaults(&self, relid: u32) -> PgResult<Vec<(ItemPointer, i16, String)>> {
        let mut out = Vec::new();
        self.scan(&PG_ATTRDEF_DEF, |tid, r| {
            if oid_at(&r, 1) == relid {
                out.push((tid, i16_at(&r, 2), text_at(&r, 3)));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The OID of the `pg_attrdef` row of column `attnum` of `relid`.
    pub fn default_oid(&self, relid: u32, attnum: i16) -> PgResult<Option<u32>> {
        let mut out = None;
        self.scan(&PG_ATTRDEF_DEF, |_, r| {
            if oid_at(&r, 1) == relid && i16_at(&r, 2) == attnum {
                out = Some(oid_at(&r, 0));
                return Ok(false);
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The `pg_index` rows of table `relid`'s indexes, in index OID order.
    pub fn index_rows(&self, relid: u32) -> PgResult<Vec<(ItemPointer, IndexRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_INDEX_DEF, |tid, r| {
            let row = IndexRow::from_datums(&r);
            if row.table_oid == relid {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        out.sort_by_key(|(_, r)| r.index_oid);
        Ok(out)
    }

    /// The `pg_index` row of index `oid`.
    pub fn index_row(&self, oid: u32) -> PgResult<Option<(ItemPointer, IndexRow)>> {
        self.find(&PG_INDEX_DEF, |tid, r| {
            let row = IndexRow::from_datums(r);
            (row.index_oid == oid).then_some((tid, row))
        })
    }

    fn columns(&self, relid: u32) -> PgResult<Vec<ColumnInfo>> {
        let mut defaults = self.defaults(relid)?;
        let attrs = self.attributes(relid)?;
        if attrs.iter().any(|(_, a)| a.identity != '\0') {
            // An identity column's values come from the sequence it owns.
            for (_, d) in self.dependents(PG_CLASS, relid)? {
                if d.deptype != DEPENDENCY_INTERNAL || d.classid != PG_CLASS {
                    continue;
                }
                if let Some((_, seq)) = self.class_by_oid(d.objid)? {
                    let schema = self.namespace_name(seq.namespace)?.unwrap_or_default();
                    let text = format!(
                        "nextval('{}'::regclass)",
                        format!(
                            "{}.{}",
                            types::guc::quote_identifier(&schema),
                            types::guc::quote_identifier(&seq.name)
                        )
                        .replace('\'', "''")
                    );
                    defaults.push((ItemPointer::default(), d.refobjsubid as i16, text));
                }
            }
        }
        Ok(attrs
            .into_iter()
            .map(|(_, a)| ColumnInfo {
                default: defaults
                    .iter()
                    .find(|d| d.1 == a.attnum)
                    .map(|d| d.2.clone()),
                name: a.name,
                type_oid: a.type_oid,
                typmod: a.typmod,
                attnum: a.attnum,
                not_null: a.not_null,
                dropped: a.dropped,
                identity: a.identity,
                generated: a.generated,
                is_local: a.is_local,
                inhcount: a.inhcount,
                collation: a.collation,
                storage: a.storage,
                compression: a.compression,
            })
            .collect())
    }

    /// The `pg_constraint` rows of relation `relid`, with where they are.
    pub fn constraints(&self, relid: u32) -> PgResult<Vec<(ItemPointer, ConstraintRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_CONSTRAINT_DEF, |tid, r| {
            let row = ConstraintRow::from_datums(&r);
            if row.relid == relid {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The `_RETURN` rule of view `relid`: where it is, and the query.
    pub fn view_rule(&self, relid: u32) -> PgResult<Option<(ItemPointer, String)>> {
        self.find(&PG_REWRITE_DEF, |tid, r| {
            (oid_at(r, 2) == relid && text_at(r, 1) == "_RETURN").then(|| (tid, text_at(r, 7)))
        })
    }

    /// The rules of relation `relid` made by CREATE RULE (not a view's
    /// `_RETURN` rule), by name, with where they are.
    pub fn rules(&self, relid: u32) -> PgResult<Vec<(ItemPointer, system::RuleRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_REWRITE_DEF, |tid, r| {
            if oid_at(&r, 2) == relid && text_at(&r, 1) != "_RETURN" {
                out.push((tid, system::RuleRow::from_datums(&r)));
            }
            Ok(true)
        })?;
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        Ok(out)
    }

    /// The `pg_rewrite` row `oid` made by CREATE RULE.
    pub fn rule_by_oid(&self, oid: u32) -> PgResult<Option<system::RuleRow>> {
        self.find(&PG_REWRITE_DEF, |_, r| {
            (oid_at(r, 0) == oid && text_at(r, 1) != "_RETURN")
                .then(|| system::RuleRow::from_datums(r))
        })
    }

    /// The live (or with `dropped_ones`, the dropped) columns whose type is
    /// one of `type_oids`: (relid, attname, attnum), in catalog order.
    pub fn columns_of_types(
        &self,
        type_oids: &[u32],
        dropped_ones: bool,
    ) -> PgResult<Vec<(u32, String, i16)>> {
        let mut out = Vec::new();
        self.scan(&PG_ATTRIBUTE_DEF, |_, r| {
            let dropped = matches!(r.get(18), Some(Datum::Bool(true)));
            if dropped == dropped_ones && type_oids.contains(&oid_at(&r, 2)) {
                let attnum = match r.get(5) {
                    Some(Datum::Int2(n)) => *n,
                    _ => 0,
                };
                out.push((oid_at(&r, 0), text_at(&r, 1), attnum));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every `pg_enum` row.
    pub fn enum_labels(&self) -> PgResult<Vec<(ItemPointer, crate::system::EnumRow)>> {
        let mut out = Vec::new();
        self.scan(&crate::system::PG_ENUM_DEF, |tid, r| {
            if let Some(row) = crate::system::EnumRow::from_datums(&r) {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The user-defined types (`pg_type` rows of `typtype` other than
    /// `'b'` and `'p'`, or of OID at or above 16384 for their arrays):
    /// (tid, oid, typname, typnamespace, typtype, typelem, typarray).
    pub fn user_types(&self) -> PgResult<Vec<(ItemPointer, UserTypeRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_TYPE_DEF, |tid, r| {
            let (Some(Datum::Oid(oid)), Some(Datum::Text(name)), Some(Datum::Oid(nsp))) =
                (r.first(), r.get(1), r.get(2))
            else {
                return Ok(true);
            };
            let typtype = match r.get(6) {
                Some(Datum::Text(t)) => t.chars().next().unwrap_or('b'),
                _ => 'b',
            };
            let oid_at = |i: usize| match r.get(i) {
                Some(Datum::Oid(o)) => *o,
                _ => 0,
            };
            if typtype == 'e' || typtype == 'd' || *oid >= 16384 {
                out.push((
                    tid,
                    UserTypeRow {
                        oid: *oid,
                        name: name.clone(),
                        namespace: *nsp,
                        owner: oid_at(3),
                        typtype,
                        elem: oid_at(12),
                        array: oid_at(13),
                        relid: oid_at(11),
                        base: oid_at(17),
                        typmod: match r.get(18) {
                            Some(Datum::Int4(m)) => *m,
                            _ => -1,
                        },
                        not_null: matches!(r.get(16), Some(Datum::Bool(true))),
                        default: match r.get(22) {
                            Some(Datum::Text(d)) => Some(d.clone()),
                            _ => None,
                        },
                        collation: oid_at(20),
                    },
                ));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The functions named `name` in schema `namespace` (any schema if None).
    pub fn functions(
        &self,
        namespace: Option<u32>,
        name: &str,
    ) -> PgResult<Vec<(ItemPointer, ProcRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_PROC_DEF, |tid, r| {
            let row = ProcRow::from_datums(&r);
            if row.name == name && namespace.is_none_or(|n| n == row.namespace) {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The row-level security policies of relation `relid`, by name.
    pub fn policies(&self, relid: u32) -> PgResult<Vec<(ItemPointer, system::PolicyRow)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_POLICY_DEF, |tid, r| {
            if matches!(r.get(2), Some(Datum::Oid(o)) if *o == relid) {
                out.push((tid, system::PolicyRow::from_datums(&r)));
            }
            Ok(true)
        })?;
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        Ok(out)
    }

    /// Every `pg_policy` row (for the dependency checks of DROP ROLE).
    pub fn all_policies(&self) -> PgResult<Vec<(ItemPointer, system::PolicyRow)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_POLICY_DEF, |tid, r| {
            out.push((tid, system::PolicyRow::from_datums(&r)));
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every `pg_statistic_ext` row (extended statistics objects).
    pub fn all_statistics_ext(&self) -> PgResult<Vec<(ItemPointer, system::StatisticExtRow)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_STATISTIC_EXT_DEF, |tid, r| {
            out.push((tid, system::StatisticExtRow::from_datums(&r)));
            Ok(true)
        })?;
        Ok(out)
    }

    /// The extended statistics objects of relation `relid`, by name.
    pub fn statistics_ext(
        &self,
        relid: u32,
    ) -> PgResult<Vec<(ItemPointer, system::StatisticExtRow)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_STATISTIC_EXT_DEF, |tid, r| {
            if matches!(r.get(1), Some(Datum::Oid(o)) if *o == relid) {
                out.push((tid, system::StatisticExtRow::from_datums(&r)));
            }
            Ok(true)
        })?;
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        Ok(out)
    }

    /// The `pg_statistic_ext_data` rows of statistics object `stxoid`:
    /// (tid, stxdinherit, stxdndistinct, stxddependencies).
    #[allow(clippy::type_complexity)]
    pub fn statistics_ext_data(
        &self,
        stxoid: u32,
    ) -> PgResult<Vec<(ItemPointer, bool, Option<String>, Option<String>)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_STATISTIC_EXT_DATA_DEF, |tid, r| {
            if r.first() == Some(&Datum::Oid(stxoid)) {
                let text = |i: usize| match r.get(i) {
                    Some(Datum::Text(s)) => Some(s.clone()),
                    _ => None,
                };
                out.push((tid, r.get(1) == Some(&Datum::Bool(true)), text(2), text(3)));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The triggers of relation `relid`, by name.
    pub fn triggers(&self, relid: u32) -> PgResult<Vec<(ItemPointer, system::TriggerRow)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_TRIGGER_DEF, |tid, r| {
            if matches!(r.get(1), Some(Datum::Oid(o)) if *o == relid) {
                out.push((tid, system::TriggerRow::from_datums(&r)));
            }
            Ok(true)
        })?;
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        Ok(out)
    }

    /// The trigger with OID `oid`.
    pub fn trigger_by_oid(&self, oid: u32) -> PgResult<Option<system::TriggerRow>> {
        self.find(&system::PG_TRIGGER_DEF, |_, r| {
            let row = system::TriggerRow::from_datums(r);
            (row.oid == oid).then_some(row)
        })
    }

    /// The `pg_aggregate` row of aggregate `fnoid`.
    pub fn aggregate(&self, fnoid: u32) -> PgResult<Option<(ItemPointer, system::AggregateRow)>> {
        self.find(&system::PG_AGGREGATE_DEF, |tid, r| {
            matches!(r.first(), Some(Datum::Oid(o)) if *o == fnoid)
                .then(|| (tid, system::AggregateRow::from_datums(r)))
        })
    }

    /// The function with OID `oid`.
    pub fn function_by_oid(&self, oid: u32) -> PgResult<Option<ProcRow>> {
        self.find(&PG_PROC_DEF, |_, r| {
            let row = ProcRow::from_datums(r);
            (row.oid == oid).then_some(row)
        })
    }

    /// A constraint named `name` (of any table).
    /// The constraints of domains (`contypid` set), in catalog order.
    pub fn domain_constraints(&self) -> PgResult<Vec<(ItemPointer, ConstraintRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_CONSTRAINT_DEF, |tid, r| {
            if matches!(r.get(8), Some(Datum::Oid(t)) if *t != 0) {
                out.push((tid, ConstraintRow::from_datums(&r)));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    pub fn constraint_by_name(&self, name: &str) -> PgResult<Option<ConstraintRow>> {
        self.find(&PG_CONSTRAINT_DEF, |_, r| {
            let row = ConstraintRow::from_datums(r);
            (row.name == name).then_some(row)
        })
    }

    /// The constraint that owns index `index` (a primary key or unique
    /// constraint's), if any.
    pub fn constraint_of_index(&self, index: u32) -> PgResult<Option<ConstraintRow>> {
        self.find(&PG_CONSTRAINT_DEF, |_, r| {
            let row = ConstraintRow::from_datums(r);
            (row.index == index && row.kind != CONSTRAINT_FOREIGN).then_some(row)
        })
    }

    /// The `pg_sequence` row of sequence `relid`.
    pub fn sequence(&self, relid: u32) -> PgResult<Option<(ItemPointer, SequenceRow)>> {
        self.find(&PG_SEQUENCE_DEF, |tid, r| {
            let row = SequenceRow::from_datums(r);
            (row.relid == relid).then_some((tid, row))
        })
    }

    /// The `pg_depend` rows of objects depending on object (`classid`, `objid`).
    pub fn dependents(&self, classid: u32, objid: u32) -> PgResult<Vec<(ItemPointer, DependRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_DEPEND_DEF, |tid, r| {
            let row = DependRow::from_datums(&r);
            if row.refclassid == classid && row.refobjid == objid {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The `pg_depend` rows recording what object (`classid`, `objid`) depends on.
    pub fn dependencies(
        &self,
        classid: u32,
        objid: u32,
    ) -> PgResult<Vec<(ItemPointer, DependRow)>> {
        let mut out = Vec::new();
        self.scan(&PG_DEPEND_DEF, |tid, r| {
            let row = DependRow::from_datums(&r);
            if row.classid == classid && row.objid == objid {
                out.push((tid, row));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Everything about a relation found by its `pg_class` row.
    pub fn relation_info(&self, class_tid: ItemPointer, class: ClassRow) -> PgResult<RelationInfo> {
        let columns = self.columns(class.oid)?;
        let mut indexes = Vec::new();
        if matches!(class.kind, 'r' | 'p' | 'm') && class.has_index {
            for (_, row) in self.index_rows(class.oid)? {
                let Some((_, ic)) = self.class_by_oid(row.index_oid)? else {
                    continue;
                };
                let columns = self.columns(ic.oid)?;
                let am = index_am_desc(&ic.name, &columns, &row, &ic.options)?;
                indexes.push(IndexInfo {
                    oid: ic.oid,
                    name: ic.name,
                    relfilenode: ic.relfilenode,
                    columns,
                    row,
                    am,
                    options: ic.options,
                });
            }
        }
        let (mut constraints, mut referenced_by) = (Vec::new(), Vec::new());
        if matches!(class.kind, 'r' | 'p') {
            self.scan(&PG_CONSTRAINT_DEF, |_, r| {
                let row = ConstraintRow::from_datums(&r);
                if row.kind == CONSTRAINT_FOREIGN && row.frelid == class.oid {
                    referenced_by.push(row.clone());
                }
                if row.relid == class.oid {
                    constraints.push(row);
                }
                Ok(true)
            })?;
            constraints.sort_by(|a, b| a.name.cmp(&b.name));
            referenced_by.sort_by_key(|c| c.oid);
        }
        let view_query = if class.kind == 'v' {
            self.view_rule(class.oid)?.map(|(_, q)| q)
        } else {
            None
        };
        let children = if class.has_subclass {
            let mut c: Vec<u32> = self
                .inherits_children(class.oid)?
                .into_iter()
                .map(|(_, child, _)| child)
                .collect();
            c.sort_unstable();
            c
        } else {
            Vec::new()
        };
        let partition_key = if class.kind == 'p' {
            self.partitioned_table(class.oid)?.map(|(_, row)| row)
        } else {
            None
        };
        let partition_parent = if class.is_partition {
            self.inherits_parents(class.oid)?.first().map_or(0, |p| p.1)
        } else {
            0
        };
        let triggers = match class.kind {
            'r' | 'p' | 'v' | 'f' => self
                .triggers(class.oid)?
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
            _ => Vec::new(),
        };
        let rules = match class.kind {
            'r' | 'p' | 'v' if class.has_rules => {
                self.rules(class.oid)?.into_iter().map(|(_, r)| r).collect()
            }
            _ => Vec::new(),
        };
        let policies = match class.kind {
            'r' | 'p' => self
                .policies(class.oid)?
                .into_iter()
                .map(|(_, p)| p)
                .collect(),
            _ => Vec::new(),
        };
        let statistics = std::sync::Arc::new(self.statistics(&class)?);
        Ok(RelationInfo {
            options: class.options.clone(),
            rules,
            owner: class.owner,
            row_security: class.row_security,
            force_row_security: class.force_row_security,
            policies,
            statistics,
            triggers,
            partition_parent,
            has_subclass: class.has_subclass,
            children,
            partbound: class.partbound.clone(),
            partition_key,
            constraints,
            referenced_by,
            view_query,
            populated: class.populated,
            namespace: self.namespace_name(class.namespace)?.unwrap_or_default(),
            oid: class.oid,
            name: class.name,
            namespace_oid: class.namespace,
            relfilenode: class.relfilenode,
            kind: class.kind,
            persistence: class.persistence,
            shared: class.shared,
            columns,
            class_tid,
            has_index: class.has_index,
            indexes,
        })
    }

    /// The size and column statistics of a relation (its own rows; a
    /// partitioned table has none).
    fn statistics(&self, class: &ClassRow) -> PgResult<crate::statistics::RelationStatistics> {
        let mut stats = crate::statistics::RelationStatistics {
            pages: f64::from(class.pages.max(0)),
            tuples: f64::from(class.tuples),
            all_visible: f64::from(class.all_visible.max(0)),
            columns: Vec::new(),
            extended: Vec::new(),
        };
        if stats.counted() && matches!(class.kind, 'r' | 'm' | 't') {
            self.scan(&system::PG_STATISTIC_DEF, |_, r| {
                if r.first() == Some(&Datum::Oid(class.oid))
                    && r.get(2) == Some(&Datum::Bool(false))
                    && let Some(c) = crate::statistics::ColumnStatistics::from_row(&r)
                {
                    stats.columns.push(c);
                }
                Ok(true)
            })?;
            for (_, object) in self.statistics_ext(class.oid)? {
                for (_, inherit, ndistinct, dependencies) in self.statistics_ext_data(object.oid)? {
                    if inherit {
                        continue;
                    }
                    stats.extended.push(crate::statistics::ExtendedStatistics {
                        keys: object.keys.clone(),
                        exprs: object.exprs.clone(),
                        ndistinct: ndistinct
                            .as_deref()
                            .map(crate::statistics::parse_items)
                            .unwrap_or_default(),
                        dependencies: dependencies
                            .as_deref()
                            .map(crate::statistics::parse_items)
                            .unwrap_or_default(),
                    });
                }
            }
        }
        Ok(stats)
    }

    /// The `pg_inherits` rows naming `parent`: (tid, child, inhseqno).
    pub fn inherits_children(&self, parent: u32) -> PgResult<Vec<(ItemPointer, u32, i32)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_INHERITS_DEF, |tid, r| {
            if oid_at(&r, 1) == parent {
                out.push((tid, oid_at(&r, 0), i32_at(&r, 2)));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The `pg_inherits` rows of `child`: (tid, parent, inhseqno), in
    /// inhseqno order.
    pub fn inherits_parents(&self, child: u32) -> PgResult<Vec<(ItemPointer, u32, i32)>> {
        let mut out = Vec::new();
        self.scan(&system::PG_INHERITS_DEF, |tid, r| {
            if oid_at(&r, 0) == child {
                out.push((tid, oid_at(&r, 1), i32_at(&r, 2)));
            }
            Ok(true)
        })?;
        out.sort_by_key(|r| r.2);
        Ok(out)
    }

    /// The `pg_partitioned_table` row of `relid`.
    pub fn partitioned_table(
        &self,
        relid: u32,
    ) -> PgResult<Option<(ItemPointer, system::PartitionedTableRow)>> {
        self.find(&system::PG_PARTITIONED_TABLE_DEF, |tid, r| {
            (oid_at(r, 0) == relid).then(|| {
                let attrs = text_at(r, 4)
                    .split_whitespace()
                    .filter_map(|a| a.parse().ok())
                    .collect();
                let exprs = match r.get(7) {
                    Some(Datum::Text(t)) => t.split('\n').map(str::to_owned).collect(),
                    _ => Vec::new(),
                };
                (
                    tid,
                    system::PartitionedTableRow {
                        relid,
                        strategy: char_at(r, 1),
                        attrs,
                        default_partition: oid_at(r, 3),
                        exprs,
                    },
                )
            })
        })
    }

    /// The `pg_namespace` row of schema `oid`.
    pub fn namespace_row(&self, oid: u32) -> PgResult<Option<ItemPointer>> {
        self.find(&PG_NAMESPACE_DEF, |tid, r| {
            (oid_at(r, 0) == oid).then_some(tid)
        })
    }

    /// Every plain table (relkind 'r', system catalogs included) with its
    /// file: (oid, name, file). Shared catalogs are in `global/`.
    pub fn tables(&self) -> PgResult<Vec<(u32, String, RelFileLocator)>> {
        let mut out = Vec::new();
        self.scan(&PG_CLASS_DEF, |_, r| {
            let row = ClassRow::from_datums(&r);
            if row.kind == 'r' {
                let file = if row.shared {
                    RelFileLocator::shared(row.relfilenode)
                } else {
                    RelFileLocator::new(self.db_oid, row.relfilenode)
                };
                out.push((row.oid, row.name, file));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// The relations of schema `namespace`: (oid, name, kind).
    pub fn relations_in(&self, namespace: u32) -> PgResult<Vec<(u32, String, char)>> {
        let mut out = Vec::new();
        self.scan(&PG_CLASS_DEF, |_, r| {
            let row = ClassRow::from_datums(&r);
            if row.namespace == namespace {
                out.push((row.oid, row.name, row.kind));
            }
            Ok(true)
        })?;
        out.sort_by_key(|r| r.0);
        Ok(out)
    }

    /// The comments (`pg_description`, or `pg_shdescription` for a shared
    /// catalog's object) of object `objoid` of catalog `classoid`: all of
    /// them, or with `subid` only that column's, as (catalog oid, tid) for
    /// [`CatalogWriter::delete_rows`].
    pub fn description_rows(
        &self,
        classoid: u32,
        objoid: u32,
        subid: Option<i32>,
    ) -> PgResult<Vec<(u32, ItemPointer)>> {
        let shared = matches!(classoid, system::PG_DATABASE | system::PG_AUTHID);
        let def = match shared {
            true => &system::PG_SHDESCRIPTION_DEF,
            false => &system::PG_DESCRIPTION_DEF,
        };
        let mut rows = Vec::new();
        self.scan(def, |t, r| {
            if r.first() == Some(&Datum::Oid(objoid))
                && r.get(1) == Some(&Datum::Oid(classoid))
                && (shared || subid.is_none_or(|s| r.get(2) == Some(&Datum::Int4(s))))
            {
                rows.push((def.oid, t));
            }
            Ok(true)
        })?;
        Ok(rows)
    }

    /// Every catalog row describing relation `oid`, as (catalog oid, tid):
    /// defaults, columns, then the `pg_class` row.
    pub fn relation_rows(&self, oid: u32) -> PgResult<Vec<(u32, ItemPointer)>> {
        let mut rows: Vec<(u32, ItemPointer)> = self
            .defaults(oid)?
            .into_iter()
            .map(|(t, _, _)| (system::PG_ATTRDEF, t))
            .collect();
        rows.extend(
            self.attributes(oid)?
                .into_iter()
                .map(|(t, _)| (system::PG_ATTRIBUTE, t)),
        );
        if let Some((t, _)) = self.index_row(oid)? {
            rows.push((system::PG_INDEX, t));
        }
        if let Some((t, _)) = self.sequence(oid)? {
            rows.push((system::PG_SEQUENCE, t));
        }
        if let Some((t, _)) = self.view_rule(oid)? {
            rows.push((system::PG_REWRITE, t));
        }
        for (t, rule) in self.rules(oid)? {
            rows.push((system::PG_REWRITE, t));
            rows.extend(self.description_rows(system::PG_REWRITE, rule.oid, None)?);
        }
        rows.extend(
            self.inherits_parents(oid)?
                .into_iter()
                .map(|(t, _, _)| (system::PG_INHERITS, t)),
        );
        for (t, policy) in self.policies(oid)? {
            rows.push((system::PG_POLICY, t));
            rows.extend(self.description_rows(system::PG_POLICY, policy.oid, None)?);
        }
        for (t, stat) in self.statistics_ext(oid)? {
            rows.push((system::PG_STATISTIC_EXT, t));
            rows.extend(
                self.statistics_ext_data(stat.oid)?
                    .into_iter()
                    .map(|d| (system::PG_STATISTIC_EXT_DATA, d.0)),
            );
            rows.extend(self.description_rows(system::PG_STATISTIC_EXT, stat.oid, None)?);
        }
        for (t, trigger) in self.triggers(oid)? {
            rows.push((system::PG_TRIGGER, t));
            rows.extend(self.description_rows(system::PG_TRIGGER, trigger.oid, None)?);
        }
        if let Some((t, _)) = self.partitioned_table(oid)? {
            rows.push((system::PG_PARTITIONED_TABLE, t));
        }
        for (t, con) in self.constraints(oid)? {
            rows.push((system::PG_CONSTRAINT, t));
            rows.extend(self.description_rows(system::PG_CONSTRAINT, con.oid, None)?);
        }
        rows.extend(
            self.dependencies(PG_CLASS, oid)?
                .into_iter()
                .map(|(t, _)| (system::PG_DEPEND, t)),
        );
        // Defaults' dependencies on it (a sequence's, by serial columns).
        rows.extend(
            self.dependents(PG_CLASS, oid)?
                .into_iter()
                .filter(|(_, d)| d.classid == system::PG_ATTRDEF)
                .map(|(t, _)| (system::PG_DEPEND, t)),
        );
        // What its defaults depend on (a serial column's sequence).
        for (_, attnum, _) in self.defaults(oid)? {
            if let Some(d) = self.default_oid(oid, attnum)? {
                rows.extend(
                    self.dependencies(system::PG_ATTRDEF, d)?
                        .into_iter()
                        .map(|(t, _)| (system::PG_DEPEND, t)),
                );
            }
        }
        // Its row type and the row type's array type.
        let types = self.user_types()?;
        for (t, ty) in &types {
            if ty.typtype == 'c' && ty.relid == oid {
                rows.push((system::PG_TYPE, *t));
                rows.extend(
                    types
                        .iter()
                        .filter(|(_, a)| a.oid == ty.array && ty.array != 0)
                        .map(|(t, _)| (system::PG_TYPE, *t)),
                );
            }
        }
        // Its columns' statistics.
        self.scan(&system::PG_STATISTIC_DEF, |t, r| {
            if r.first() == Some(&Datum::Oid(oid)) {
                rows.push((system::PG_STATISTIC, t));
            }
            Ok(true)
        })?;
        // Its comments and its columns'.
        rows.extend(self.description_rows(PG_CLASS, oid, None)?);
        // Its publication memberships.
        self.scan(&system::PG_PUBLICATION_REL_DEF, |t, r| {
            if r.get(2) == Some(&Datum::Oid(oid)) {
                rows.push((system::PG_PUBLICATION_REL, t));
            }
            Ok(true)
        })?;
        if let Some((t, _)) = self.class_by_oid(oid)? {
            rows.push((system::PG_CLASS, t));
        }
        Ok(rows)
    }

    /// Relation `name` in schema `namespace`, if visible.
    pub fn relation(&self, namespace: u32, name: &str) -> PgResult<Option<RelationInfo>> {
        match self.find_class(namespace, name)? {
            Some((tid, class)) => Ok(Some(self.relation_info(tid, class)?)),
            None => Ok(None),
        }
    }

    /// Relation `oid`, if visible.
    pub fn relation_by_oid(&self, oid: u32) -> PgResult<Option<RelationInfo>> {
        match self.class_by_oid(oid)? {
            Some((tid, class)) => Ok(Some(self.relation_info(tid, class)?)),
            None => Ok(None),
        }
    }
}

/// Writes catalog rows in the caller's transaction.
pub struct CatalogWriter<'x, 'e, 'a> {
    pub env: &'x HeapEnv<'e, 'a>,
    pub db_oid: u32,
}

/// A column of a table being created.
#[derive(Debug, Clone)]
pub struct NewColumn {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    pub not_null: bool,
    pub default: Option<String>,
    /// `attidentity`, `'\0'` for none.
    pub identity: char,
    /// `attgenerated`: `'s'` stored generated (`default` holds the
    /// generation expression), `'\0'` for none.
    pub generated: char,
    /// `attislocal`
    pub is_local: bool,
    /// `attinhcount`
    pub inhcount: i32,
    /// `attcollation` from a COLLATE clause (None: the type's).
    pub collation: Option<u32>,
    /// `attcompression` from a COMPRESSION clause (`'\0'`: none).
    pub compression: char,
}

impl CatalogWriter<'_, '_, '_> {
    fn insert(
        &self,
        def: &CatalogDef,
        row: &[Datum],
        w: &mut WriteXact<'_>,
    ) -> PgResult<ItemPointer> {
        let tuple = form_tuple(&def.tuple_desc()?, row)?;
        heapam::insert(self.env, catalog_locator(def, self.db_oid), tuple, 0, w)
    }

    fn delete(&self, def: &CatalogDef, tid: ItemPointer, w: &mut WriteXact<'_>) -> PgResult<()> {
        match heapam::delete(self.env, catalog_locator(def, self.db_oid), tid, w)? {
            heapam::ModifyResult::Done | heapam::ModifyResult::SelfModified => Ok(()),
            _ => Err(concurrent_catalog_update()),
        }
    }

    /// Adds the `pg_class`, `pg_attribute` and `pg_attrdef` rows of a new
    /// relation `oid` (whose file is `relfilenode`).
    #[allow(clippy::too_many_arguments)]
    pub fn create_relation(
        &self,
        w: &mut WriteXact<'_>,
        oid: u32,
        relfilenode: u32,
        namespace: u32,
        name: &str,
        owner: u32,
        kind: char,
        columns: &[NewColumn],
        attrdef_oids: &mut dyn FnMut() -> PgResult<u32>,
    ) -> PgResult<()> {
        self.create_relation_with_persistence(
            w,
            oid,
            relfilenode,
            namespace,
            name,
            owner,
            (kind, 'p'),
            columns,
            attrdef_oids,
        )
    }

    /// [`Self::create_relation`] with a `relpersistence` (`'t'`: a
    /// temporary relation); `kind` is (relkind, relpersistence).
    #[allow(clippy::too_many_arguments)]
    pub fn create_relation_with_persistence(
        &self,
        w: &mut WriteXact<'_>,
        oid: u32,
        relfilenode: u32,
        namespace: u32,
        name: &str,
        owner: u32,
        (kind, persistence): (char, char),
        columns: &[NewColumn],
        attrdef_oids: &mut dyn FnMut() -> PgResult<u32>,
    ) -> PgResult<()> {
        // Tables, views and the like have a row type, as in PostgreSQL
        // (`heap_create_with_catalog` making it with `AddNewRelationType`).
        let row_type = if matches!(kind, 'r' | 'p' | 'v' | 'm' | 'f') {
            let type_oid = self.env.tx.new_oid()?;
            let array_oid = self.env.tx.new_oid()?;
            for row in system::composite_type_rows(type_oid, array_oid, oid, name, namespace, owner)
            {
                self.insert(&PG_TYPE_DEF, &row, w)?;
            }
            type_oid
        } else {
            0
        };
        let class = ClassRow {
            oid,
            name: name.into(),
            namespace,
            reltype: row_type,
            owner,
            relfilenode,
            persistence,
            kind,
            natts: columns.len() as i16,
            shared: false,
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
        };
        self.insert(&PG_CLASS_DEF, &class.to_datums(), w)?;
        for (i, col) in columns.iter().enumerate() {
            let attnum = i as i16 + 1;
            let row = AttributeRow {
                relid: oid,
                name: col.name.clone(),
                type_oid: col.type_oid,
                attnum,
                typmod: col.typmod,
                not_null: col.not_null,
                has_default: col.default.is_some(),
                dropped: false,
                identity: col.identity,
                generated: col.generated,
                is_local: col.is_local,
                inhcount: col.inhcount,
                acl: None,
                stat_target: -1,
                collation: col.collation,
                fdw_options: None,
                options: None,
                storage: '\0',
                compression: col.compression,
            };
            self.insert(&PG_ATTRIBUTE_DEF, &row.to_datums()?, w)?;
            if let Some(text) = &col.default {
                let row = [
                    Datum::Oid(attrdef_oids()?),
                    Datum::Oid(oid),
                    Datum::Int2(attnum),
                    Datum::Text(text.clone()),
                ];
                self.insert(&PG_ATTRDEF_DEF, &row, w)?;
            }
        }
        Ok(())
    }

    /// Adds the `pg_class`, `pg_attribute` and `pg_index` rows of a new index.
    #[allow(clippy::too_many_arguments)]
    pub fn create_index(
        &self,
        w: &mut WriteXact<'_>,
        relfilenode: u32,
        namespace: u32,
        name: &str,
        owner: u32,
        columns: &[NewColumn],
        row: &IndexRow,
    ) -> PgResult<()> {
        self.create_relation(
            w,
            row.index_oid,
            relfilenode,
            namespace,
            name,
            owner,
            'i',
            columns,
            &mut || Ok(0),
        )?;
        self.insert(&PG_INDEX_DEF, &row.to_datums(), w).map(|_| ())
    }

    /// Adds the `pg_sequence` row of a new sequence.
    pub fn create_sequence(&self, w: &mut WriteXact<'_>, row: &SequenceRow) -> PgResult<()> {
        self.insert(&PG_SEQUENCE_DEF, &row.to_datums(), w)
            .map(|_| ())
    }

    /// Replaces a `pg_sequence` row (ALTER SEQUENCE).
    pub fn update_sequence(
        &self,
        tid: ItemPointer,
        row: &SequenceRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_SEQUENCE_DEF, tid, &row.to_datums(), w)
    }

    /// Adds column `attnum` to relation `relid` (ALTER TABLE ADD COLUMN):
    /// its `pg_attribute` row and its default.
    pub fn add_column(
        &self,
        w: &mut WriteXact<'_>,
        relid: u32,
        attnum: i16,
        col: &NewColumn,
        attrdef_oid: u32,
    ) -> PgResult<()> {
        let row = AttributeRow {
            relid,
            name: col.name.clone(),
            type_oid: col.type_oid,
            attnum,
            typmod: col.typmod,
            not_null: col.not_null,
            has_default: col.default.is_some(),
            dropped: false,
            identity: col.identity,
            generated: col.generated,
            is_local: col.is_local,
            inhcount: col.inhcount,
            acl: None,
            stat_target: -1,
            collation: col.collation,
            fdw_options: None,
            options: None,
            storage: '\0',
            compression: col.compression,
        };
        self.insert(&PG_ATTRIBUTE_DEF, &row.to_datums()?, w)?;
        if let Some(text) = &col.default {
            self.add_default(w, attrdef_oid, relid, attnum, text)?;
        }
        Ok(())
    }

    /// Adds a `pg_attrdef` row: the default of column `attnum` of `relid`.
    pub fn add_default(
        &self,
        w: &mut WriteXact<'_>,
        oid: u32,
        relid: u32,
        attnum: i16,
        text: &str,
    ) -> PgResult<()> {
        let row = [
            Datum::Oid(oid),
            Datum::Oid(relid),
            Datum::Int2(attnum),
            Datum::Text(text.to_owned()),
        ];
        self.insert(&PG_ATTRDEF_DEF, &row, w).map(|_| ())
    }

    /// Replaces the `pg_constraint` row at `tid`.
    pub fn update_constraint(
        &self,
        tid: ItemPointer,
        row: &ConstraintRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_CONSTRAINT_DEF, tid, &row.to_datums(), w)
    }

    /// Adds a rule made by CREATE RULE.
    pub fn create_rule(&self, w: &mut WriteXact<'_>, row: &system::RuleRow) -> PgResult<()> {
        self.insert(&PG_REWRITE_DEF, &row.to_datums(), w)
            .map(|_| ())
    }

    /// Replaces the rule row at `tid`.
    pub fn update_rule(
        &self,
        tid: ItemPointer,
        row: &system::RuleRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_REWRITE_DEF, tid, &row.to_datums(), w)
    }

    /// Adds the `_RETURN` rule of view `relid`.
    pub fn add_view_rule(
        &self,
        w: &mut WriteXact<'_>,
        oid: u32,
        relid: u32,
        query: &str,
    ) -> PgResult<()> {
        self.insert(
            &PG_REWRITE_DEF,
            &system::view_rule_row(oid, relid, query),
            w,
        )
        .map(|_| ())
    }

    /// Adds the `pg_type` rows of an enum and its array type.
    pub fn create_enum_type(&self, w: &mut WriteXact<'_>, rows: &[Vec<Datum>]) -> PgResult<()> {
        for row in rows {
            self.insert(&PG_TYPE_DEF, row, w)?;
        }
        Ok(())
    }

    /// Adds a standalone composite type (CREATE TYPE ... AS (...)): its
    /// `pg_class` row of relkind `'c'` (no file) whose `reltype` is the
    /// type, the fields as `pg_attribute` rows, and the `pg_type` rows.
    #[allow(clippy::too_many_arguments)]
    pub fn create_composite_type(
        &self,
        w: &mut WriteXact<'_>,
        relid: u32,
        type_oid: u32,
        namespace: u32,
        name: &str,
        owner: u32,
        columns: &[NewColumn],
        type_rows: &[Vec<Datum>],
    ) -> PgResult<()> {
        let class = ClassRow {
            oid: relid,
            name: name.into(),
            namespace,
            reltype: type_oid,
            owner,
            relfilenode: 0,
            persistence: 'p',
            kind: 'c',
            natts: columns.len() as i16,
            shared: false,
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
        };
        self.insert(&PG_CLASS_DEF, &class.to_datums(), w)?;
        for (i, col) in columns.iter().enumerate() {
            let row = AttributeRow {
                relid,
                name: col.name.clone(),
                type_oid: col.type_oid,
                attnum: i as i16 + 1,
                typmod: col.typmod,
                not_null: false,
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
            };
            self.insert(&PG_ATTRIBUTE_DEF, &row.to_datums()?, w)?;
        }
        for row in type_rows {
            self.insert(&PG_TYPE_DEF, row, w)?;
        }
        Ok(())
    }

    /// Replaces the `pg_type` row at `tid` (ALTER TYPE ... RENAME TO).
    pub fn update_type(
        &self,
        tid: ItemPointer,
        row: &[Datum],
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_TYPE_DEF, tid, row, w)
    }

    /// Adds a `pg_enum` row.
    pub fn add_enum_label(
        &self,
        w: &mut WriteXact<'_>,
        row: &crate::system::EnumRow,
    ) -> PgResult<()> {
        self.insert(&crate::system::PG_ENUM_DEF, &row.to_datums(), w)
            .map(|_| ())
    }

    /// Replaces the `pg_enum` row at `tid` (ALTER TYPE ... RENAME VALUE).
    pub fn update_enum_label(
        &self,
        tid: ItemPointer,
        row: &crate::system::EnumRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&crate::system::PG_ENUM_DEF, tid, &row.to_datums(), w)
    }

    /// Adds a `pg_proc` row.
    pub fn create_function(&self, w: &mut WriteXact<'_>, row: &ProcRow) -> PgResult<()> {
        self.insert(&PG_PROC_DEF, &row.to_datums(), w).map(|_| ())
    }

    /// Adds a `pg_trigger` row.
    pub fn create_trigger(&self, w: &mut WriteXact<'_>, row: &system::TriggerRow) -> PgResult<()> {
        self.insert(&system::PG_TRIGGER_DEF, &row.to_datums(), w)
            .map(|_| ())
    }

    /// Replaces the `pg_trigger` row at `tid`.
    pub fn update_trigger(
        &self,
        tid: ItemPointer,
        row: &system::TriggerRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&system::PG_TRIGGER_DEF, tid, &row.to_datums(), w)
    }

    /// Replaces the `pg_proc` row at `tid` (CREATE OR REPLACE FUNCTION).
    pub fn update_function(
        &self,
        tid: ItemPointer,
        row: &ProcRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_PROC_DEF, tid, &row.to_datums(), w)
    }

    /// Adds a `pg_constraint` row.
    pub fn add_constraint(&self, w: &mut WriteXact<'_>, row: &ConstraintRow) -> PgResult<()> {
        self.insert(&PG_CONSTRAINT_DEF, &row.to_datums(), w)
            .map(|_| ())
    }

    /// Adds a `pg_depend` row.
    pub fn add_dependency(&self, w: &mut WriteXact<'_>, row: &DependRow) -> PgResult<()> {
        self.insert(&PG_DEPEND_DEF, &row.to_datums(), w).map(|_| ())
    }

    /// Adds a `pg_database` row.
    pub fn create_database(&self, w: &mut WriteXact<'_>, row: &DatabaseRow) -> PgResult<()> {
        self.insert(&PG_DATABASE_DEF, &row.to_datums(), w)
            .map(|_| ())
    }

    /// Adds a `pg_authid` row.
    pub fn create_role(&self, w: &mut WriteXact<'_>, row: &AuthidRow) -> PgResult<()> {
        self.insert(&PG_AUTHID_DEF, &row.to_datums(), w).map(|_| ())
    }

    /// Adds (`tid` None) or replaces a `pg_auth_members` row.
    pub fn put_auth_member(
        &self,
        w: &mut WriteXact<'_>,
        tid: Option<ItemPointer>,
        row: &system::AuthMemberRow,
    ) -> PgResult<()> {
        let d = &system::PG_AUTH_MEMBERS_DEF;
        match tid {
            None => self.insert(d, &row.to_datums(), w).map(|_| ()),
            Some(tid) => self.replace(d, tid, &row.to_datums(), w),
        }
    }

    /// Replaces the `pg_namespace` row at `tid` (GRANT ON SCHEMA).
    pub fn update_namespace(
        &self,
        w: &mut WriteXact<'_>,
        tid: ItemPointer,
        (oid, name, owner): (u32, &str, u32),
        acl: &Option<Vec<String>>,
    ) -> PgResult<()> {
        let row = [
            Datum::Oid(oid),
            Datum::Text(name.into()),
            Datum::Oid(owner),
            system::acl_datum(acl),
        ];
        self.replace(&PG_NAMESPACE_DEF, tid, &row, w)
    }

    /// Replaces the `pg_database` row at `tid` (GRANT ON DATABASE).
    pub fn update_database(
        &self,
        w: &mut WriteXact<'_>,
        tid: ItemPointer,
        row: &DatabaseRow,
    ) -> PgResult<()> {
        self.replace(&PG_DATABASE_DEF, tid, &row.to_datums(), w)
    }

    /// Replaces the `pg_authid` row at `tid` (ALTER ROLE).
    pub fn update_role(
        &self,
        tid: ItemPointer,
        row: &AuthidRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_AUTHID_DEF, tid, &row.to_datums(), w)
    }

    /// Adds a `pg_namespace` row.
    pub fn create_namespace(
        &self,
        w: &mut WriteXact<'_>,
        oid: u32,
        name: &str,
        owner: u32,
    ) -> PgResult<()> {
        self.insert(
            &PG_NAMESPACE_DEF,
            &[
                Datum::Oid(oid),
                Datum::Text(name.into()),
                Datum::Oid(owner),
                Datum::Null,
            ],
            w,
        )
        .map(|_| ())
    }

    /// Adds a row to catalog `def` (publications and subscriptions, whose
    /// rows have no struct of their own).
    pub fn insert_row(
        &self,
        def: &CatalogDef,
        row: &[Datum],
        w: &mut WriteXact<'_>,
    ) -> PgResult<ItemPointer> {
        self.insert(def, row, w)
    }

    /// Deletes the row at `tid` of catalog `def`.
    pub fn delete_row(
        &self,
        def: &CatalogDef,
        tid: ItemPointer,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.delete(def, tid, w)
    }

    /// Replaces the row at `tid` of catalog `def`.
    pub fn replace_row(
        &self,
        def: &CatalogDef,
        tid: ItemPointer,
        row: &[Datum],
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(def, tid, row, w)
    }

    /// Deletes catalog rows found by [`CatalogReader::relation_rows`].
    pub fn delete_rows(&self, rows: &[(u32, ItemPointer)], w: &mut WriteXact<'_>) -> PgResult<()> {
        for &(catalog, tid) in rows {
            let def = system::CATALOGS
                .iter()
                .chain(system::SHARED_CATALOGS.iter())
                .find(|c| c.oid == catalog)
                .ok_or_else(|| PgError::internal(format!("no system catalog {catalog}")))?;
            self.delete(def, tid, w)?;
        }
        Ok(())
    }

    /// Adds a `pg_inherits` row: `child` inherits from `parent`.
    pub fn add_inherits(
        &self,
        w: &mut WriteXact<'_>,
        child: u32,
        parent: u32,
        seqno: i32,
    ) -> PgResult<()> {
        let row = [
            Datum::Oid(child),
            Datum::Oid(parent),
            Datum::Int4(seqno),
            Datum::Bool(false),
        ];
        self.insert(&system::PG_INHERITS_DEF, &row, w).map(|_| ())
    }

    /// Adds (`tid` None) or replaces a `pg_partitioned_table` row.
    pub fn put_partitioned_table(
        &self,
        w: &mut WriteXact<'_>,
        tid: Option<ItemPointer>,
        row: &system::PartitionedTableRow,
    ) -> PgResult<()> {
        match tid {
            None => self
                .insert(&system::PG_PARTITIONED_TABLE_DEF, &row.to_datums(), w)
                .map(|_| ()),
            Some(tid) => self.replace(&system::PG_PARTITIONED_TABLE_DEF, tid, &row.to_datums(), w),
        }
    }

    /// Replaces the `pg_class` row at `tid` by `class` (TRUNCATE's new
    /// relfilenode).
    pub fn update_class(
        &self,
        tid: ItemPointer,
        class: &ClassRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_CLASS_DEF, tid, &class.to_datums(), w)
    }
}

impl CatalogWriter<'_, '_, '_> {
    /// Replaces the row at `tid` of catalog `def` by one of `values`; a row
    /// that changed meanwhile is "tuple concurrently updated".
    fn replace(
        &self,
        def: &CatalogDef,
        tid: ItemPointer,
        values: &[Datum],
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        let tuple = form_tuple(&def.tuple_desc()?, values)?;
        match heapam::update(
            self.env,
            catalog_locator(def, self.db_oid),
            tid,
            tuple,
            true,
            0,
            w,
        )? {
            (heapam::ModifyResult::Done, _) => Ok(()),
            _ => Err(concurrent_catalog_update()),
        }
    }

    /// Replaces the `pg_index` row at `tid` (CREATE INDEX CONCURRENTLY
    /// setting `indisready`, then `indisvalid`).
    pub fn update_index_row(
        &self,
        tid: ItemPointer,
        row: &IndexRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_INDEX_DEF, tid, &row.to_datums(), w)
    }

    /// Replaces the `pg_attribute` row at `tid` (ALTER TABLE ... SET NOT
    /// NULL, a primary key's columns).
    pub fn update_attribute(
        &self,
        tid: ItemPointer,
        row: &AttributeRow,
        w: &mut WriteXact<'_>,
    ) -> PgResult<()> {
        self.replace(&PG_ATTRIBUTE_DEF, tid, &row.to_datums()?, w)
    }
}

/// A catalog row changed under us: PostgreSQL's "tuple concurrently updated".
fn concurrent_catalog_update() -> PgError {
    PgError::internal("tuple concurrently updated")
}
