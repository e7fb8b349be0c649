//! Roles and privileges (PostgreSQL's `utils/adt/acl.c`).
//!
//! # Role membership
//!
//! `pg_auth_members` holds one row per `GRANT role TO member`. Membership is
//! transitive, and a role is a member of itself. Three questions are asked
//! of it, as in PostgreSQL:
//!
//! ```text
//!   is_member_of(m, r)   m reaches r through any memberships     (SET ROLE)
//!   has_privs_of(m, r)   m reaches r, not passing through a      (privileges)
//!                        NOINHERIT role on the way
//!   is_admin_of(m, r)    some role m is a member of was granted  (GRANT role)
//!                        r WITH ADMIN OPTION
//! ```
//!
//! A superuser passes all three. [`RoleGraph`] reads `pg_authid` and
//! `pg_auth_members` once per question set: both are small, and catalog
//! snapshots keep the answer consistent within a statement.
//!
//! # Object privileges
//!
//! An object's ACL (`catalog::acl`) names roles; what a user holds is the
//! union of the items whose grantee is PUBLIC or a role the user has the
//! privileges of ([`acl_mask`]), plus what `pg_read_all_data` and
//! `pg_write_all_data` give their members. Superusers hold everything. The
//! checks, all `42501`:
//!
//! 1. Queries and DML: the planner records on each relation of the plan
//!    the privileges the statement needs (`planner::RelationLock::perms`:
//!    SELECT to read, INSERT / UPDATE / DELETE to write, UPDATE for FOR
//!    UPDATE/SHARE); inside a view, the view's owner needs them
//!    (`view_perms`). [`check_plan_privileges`] runs after the plan's locks
//!    are taken, so that the ACL read is the committed one.
//! 2. DDL on a relation needs its ownership (or the owner's privileges):
//!    [`require_relation_owner`], `must be owner of table t`.
//! 3. Names: CREATE in a schema needs its CREATE privilege, naming an
//!    object in a schema outright needs USAGE ([`require_schema_usage`]).
//! 4. TRUNCATE, LOCK TABLE and the sequence functions check their own
//!    privileges ([`require_relation_privileges`]).
//!
//! 5. Columns: where the table's ACL falls short, the columns' ACLs
//!    (`attacl`) may make up for SELECT, INSERT and UPDATE: every column the
//!    statement reads, inserts or updates must have the privilege, and a
//!    statement naming no column needs it on one
//!    ([`column_privileges_cover`]). The planner names the columns
//!    (`planner::ColumnUse`); where it cannot trace a use to its column
//!    (the merged columns of USING and NATURAL joins), only table
//!    privileges will do.
//! 6. Functions and procedures: the planner lists the user routines a
//!    statement calls (`planner::PlannedStmt::functions`, SQL functions
//!    expanded in place and what they call included); the current user
//!    needs EXECUTE on each (`proacl`), `permission denied for function f`
//!    ([`check_plan_privileges`]). CREATE TRIGGER needs it on the trigger
//!    function.
//! 7. Types and languages: a column, argument or result type needs USAGE
//!    on the type (`typacl`; an array's is its element type's), and CREATE
//!    FUNCTION needs USAGE on the language (`lanacl`).
//!
//! Default privileges (ALTER DEFAULT PRIVILEGES, `pg_default_acl`) give
//! new objects their first ACL: see [`default_privileges`].

pub mod default_privileges;

use std::collections::HashSet;

use catalog::system::{AuthMemberRow, AuthidRow};
use types::{PgError, PgResult, SqlState};

use crate::relcache::with_reader;
use crate::session::Session;

/// `pg_authid` and `pg_auth_members` as the membership questions need them.
pub struct RoleGraph {
    pub roles: Vec<AuthidRow>,
    pub members: Vec<AuthMemberRow>,
}

impl RoleGraph {
    pub fn load(session: &Session) -> PgResult<RoleGraph> {
        with_reader(session, |r| {
            Ok(RoleGraph {
                roles: r.roles()?.into_iter().map(|(_, row)| row).collect(),
                members: r.auth_members()?.into_iter().map(|(_, row)| row).collect(),
            })
        })
    }

    pub fn by_name(&self, name: &str) -> Option<&AuthidRow> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn by_oid(&self, oid: u32) -> Option<&AuthidRow> {
        self.roles.iter().find(|r| r.oid == oid)
    }

    /// The role `name`, or PostgreSQL's 42704 `role "x" does not exist`.
    pub fn require(&self, name: &str) -> PgResult<&AuthidRow> {
        self.by_name(name).ok_or_else(|| role_not_found(name))
    }

    /// The name of role `oid` (PostgreSQL prints a dropped one as its number).
    pub fn name_of(&self, oid: u32) -> String {
        if oid == catalog::system::PG_DATABASE_OWNER {
            return "pg_database_owner".into();
        }
        self.by_oid(oid)
            .map_or_else(|| oid.to_string(), |r| r.name.clone())
    }

    pub fn is_superuser(&self, oid: u32) -> bool {
        self.by_oid(oid).is_some_and(|r| r.superuser)
    }

    /// Every role `member` is a member of, itself included; with
    /// `inherit_only`, memberships of a NOINHERIT role are not followed.
    pub fn roles_of(&self, member: u32, inherit_only: bool) -> Vec<u32> {
        let mut out = vec![member];
        let mut seen: HashSet<u32> = HashSet::from([member]);
        let mut i = 0;
        while i < out.len() {
            let r = out[i];
            i += 1;
            if inherit_only && self.by_oid(r).is_some_and(|row| !row.inherit) {
                continue;
            }
            for m in self.members.iter().filter(|m| m.member == r) {
                if seen.insert(m.role) {
                    out.push(m.role);
                }
            }
        }
        out
    }

    /// Membership ignoring superuserness (the loop check of GRANT role).
    pub fn is_member_nosuper(&self, member: u32, role: u32) -> bool {
        self.roles_of(member, false).contains(&role)
    }

    pub fn is_member_of(&self, member: u32, role: u32) -> bool {
        self.is_superuser(member) || self.is_member_nosuper(member, role)
    }

    pub fn has_privs_of(&self, member: u32, role: u32) -> bool {
        member == role || self.is_superuser(member) || self.roles_of(member, true).contains(&role)
    }

    pub fn is_admin_of(&self, member: u32, role: u32) -> bool {
        if self.is_superuser(member) {
            return true;
        }
        let mine = self.roles_of(member, false);
        self.members
            .iter()
            .any(|m| m.role == role && m.admin_option && mine.contains(&m.member))
    }
}

pub fn role_not_found(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("role \"{name}\" does not exist"),
    )
}

use catalog::acl::{self, AclItem, ObjectKind};

/// What the ACL of an object gives `user` (who is no superuser, or the
/// caller has already let the superuser through): (privileges, grant
/// options). The owner holds every grant option of what it holds.
pub fn acl_mask(graph: &RoleGraph, user: u32, owner: u32, acl: &[AclItem]) -> (u32, u32) {
    let mine = graph.roles_of(user, true);
    let holds = |name: &str| {
        name.is_empty()
            || graph
                .by_name(name)
                .is_some_and(|r| r.oid == user || mine.contains(&r.oid))
    };
    let (mut privs, mut opts) = (0, 0);
    for item in acl.iter().filter(|i| holds(&i.grantee)) {
        privs |= item.privs;
        opts |= item.grant_options;
    }
    if graph.has_privs_of(user, owner) {
        opts |= privs;
    }
    (privs, opts)
}

/// What `pg_read_all_data` and `pg_write_all_data` give their members on
/// objects of `kind`, whatever their ACLs say.
pub fn predefined_privileges(graph: &RoleGraph, user: u32, kind: ObjectKind) -> u32 {
    use catalog::system::{PG_READ_ALL_DATA, PG_WRITE_ALL_DATA};
    let read = graph.has_privs_of(user, PG_READ_ALL_DATA);
    let write = graph.has_privs_of(user, PG_WRITE_ALL_DATA);
    let mut privs = 0;
    match kind {
        ObjectKind::Table | ObjectKind::Sequence => {
            if read {
                privs |= acl::ACL_SELECT;
            }
            if write {
                privs |= acl::ACL_INSERT | acl::ACL_UPDATE | acl::ACL_DELETE;
            }
        }
        ObjectKind::Schema if read || write => privs |= acl::ACL_USAGE,
        _ => {}
    }
    privs & kind.all_privileges()
}

/// The ACL kind of a relation of `relkind`.
pub fn relation_kind(relkind: char) -> ObjectKind {
    if relkind == 'S' {
        ObjectKind::Sequence
    } else {
        ObjectKind::Table
    }
}

/// The word PostgreSQL's `permission denied for ...` and `must be owner of
/// ...` use for a relation of `relkind`.
pub fn relation_word(relkind: char) -> &'static str {
    match relkind {
        'S' => "sequence",
        'v' => "view",
        'm' => "materialized view",
        'i' | 'I' => "index",
        'f' => "foreign table",
        'c' => "type",
        _ => "table",
    }
}

pub fn permission_denied(what: &str, name: &str) -> PgError {
    PgError::new(
        SqlState::InsufficientPrivilege,
        format!("permission denied for {what} {name}"),
    )
}

pub fn must_be_owner(what: &str, name: &str) -> PgError {
    PgError::new(
        SqlState::InsufficientPrivilege,
        format!("must be owner of {what} {name}"),
    )
}

/// The privileges `user` has on relation `oid`: None if there is none.
pub fn relation_privileges(
    session: &Session,
    graph: &RoleGraph,
    user: u32,
    oid: u32,
) -> PgResult<Option<(catalog::system::ClassRow, u32, u32)>> {
    let Some((_, class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Ok(None);
    };
    if graph.is_superuser(user) {
        let all = relation_kind(class.kind).all_privileges();
        return Ok(Some((class, all, all)));
    }
    // The system catalogs are readable by all (initdb's GRANT SELECT ...
    // TO PUBLIC).
    if class.acl.is_none() && class.namespace == catalog::system::PG_CATALOG_NAMESPACE {
        let (privs, opts) = if graph.has_privs_of(user, class.owner) {
            let all = relation_kind(class.kind).all_privileges();
            (all, all)
        } else {
            (acl::ACL_SELECT, 0)
        };
        return Ok(Some((class, privs, opts)));
    }
    let items = acl::from_texts(
        class.acl.as_deref(),
        relation_kind(class.kind),
        &graph.name_of(class.owner),
    );
    let (mut privs, opts) = acl_mask(graph, user, class.owner, &items);
    privs |= predefined_privileges(graph, user, relation_kind(class.kind));
    Ok(Some((class, privs, opts)))
}

/// The privileges `user` has on function `row`: (privileges, grant options).
pub fn function_privileges(
    graph: &RoleGraph,
    user: u32,
    row: &catalog::system::ProcRow,
) -> (u32, u32) {
    if graph.is_superuser(user) {
        return (acl::ACL_EXECUTE, acl::ACL_EXECUTE);
    }
    let items = acl::from_texts(
        row.acl.as_deref(),
        ObjectKind::Function,
        &graph.name_of(row.owner),
    );
    acl_mask(graph, user, row.owner, &items)
}

/// 42501 `permission denied for function f` (`procedure p`) unless the
/// current user may execute each of `oids` (built-in functions have no
/// row and are everyone's).
pub fn require_function_execute(session: &Session, oids: &[u32]) -> PgResult<()> {
    if session.is_superuser || oids.is_empty() {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    for &oid in oids {
        let Some(row) = with_reader(session, |r| r.function_by_oid(oid))? else {
            continue;
        };
        if function_privileges(&graph, session.user_oid, &row).0 & acl::ACL_EXECUTE == 0 {
            let what = match row.kind {
                'p' => "procedure",
                'a' => "aggregate",
                _ => "function",
            };
            return Err(permission_denied(what, &row.name));
        }
    }
    Ok(())
}

/// The column of `typacl` in `pg_type`.
pub const TYPACL: usize = 23;

/// What the privilege checks read of a `pg_type` row.
pub struct TypeAclRow {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub owner: u32,
    pub typtype: char,
    pub typlen: i16,
    pub elem: u32,
    pub acl: Option<Vec<String>>,
}

impl TypeAclRow {
    pub fn from_datums(d: &[types::Datum]) -> TypeAclRow {
        use types::Datum;
        let oid_at = |i: usize| match d.get(i) {
            Some(Datum::Oid(o)) => *o,
            _ => 0,
        };
        TypeAclRow {
            oid: oid_at(0),
            name: match d.get(1) {
                Some(Datum::Text(t)) => t.clone(),
                _ => String::new(),
            },
            namespace: oid_at(2),
            owner: oid_at(3),
            typtype: match d.get(6) {
                Some(Datum::Text(t)) => t.chars().next().unwrap_or('b'),
                _ => 'b',
            },
            typlen: match d.get(4) {
                Some(Datum::Int2(n)) => *n,
                _ => 0,
            },
            elem: oid_at(12),
            acl: texts_of(d.get(TYPACL)),
        }
    }

    /// An array type (whose privileges are its element type's).
    pub fn is_array(&self) -> bool {
        self.elem != 0 && self.typlen == -1
    }
}

/// The text items of an ACL column; None for NULL.
pub fn texts_of(d: Option<&types::Datum>) -> Option<Vec<String>> {
    match d {
        Some(types::Datum::Array(a)) => Some(
            a.elems
                .iter()
                .filter_map(|e| match e {
                    types::Datum::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The `pg_type` row of `oid`: where it is and its values.
pub fn type_row(
    session: &Session,
    oid: u32,
) -> PgResult<Option<(storage::page::ItemPointer, Vec<types::Datum>)>> {
    with_reader(session, |r| {
        let mut found = None;
        r.scan(&catalog::system::PG_TYPE_DEF, |tid, row| {
            if matches!(row.first(), Some(types::Datum::Oid(o)) if *o == oid) {
                found = Some((tid, row));
                return Ok(false);
            }
            Ok(true)
        })?;
        Ok(found)
    })
}

/// The privileges `user` has on type `oid` (an array's are its element
/// type's): the row and (privileges, grant options); None if there is no
/// such type.
pub fn type_privileges(
    session: &Session,
    graph: &RoleGraph,
    user: u32,
    oid: u32,
) -> PgResult<Option<(TypeAclRow, u32, u32)>> {
    let Some((_, datums)) = type_row(session, oid)? else {
        return Ok(None);
    };
    let mut row = TypeAclRow::from_datums(&datums);
    if row.is_array()
        && let Some((_, elem)) = type_row(session, row.elem)?
    {
        row = TypeAclRow::from_datums(&elem);
    }
    if graph.is_superuser(user) {
        return Ok(Some((row, acl::ACL_USAGE, acl::ACL_USAGE)));
    }
    let items = acl::from_texts(
        row.acl.as_deref(),
        ObjectKind::Type,
        &graph.name_of(row.owner),
    );
    let (privs, opts) = acl_mask(graph, user, row.owner, &items);
    Ok(Some((row, privs, opts)))
}

/// 42501 `permission denied for type t` unless the current user has USAGE
/// on type `oid` (PostgreSQL's `aclcheck_error_type`).
pub fn require_type_usage(session: &mut Session, oid: u32) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    match type_privileges(session, &graph, session.user_oid, oid)? {
        Some((row, privs, _)) if privs & acl::ACL_USAGE == 0 => {
            // Qualified unless its schema is on the search path, as
            // PostgreSQL's format_type_be prints it.
            let name = if row.oid < 16384 {
                types::oid::format_type(row.oid, -1)
            } else if crate::relcache::search_path(session)?.contains(&row.namespace) {
                row.name
            } else {
                let schema =
                    with_reader(session, |r| r.namespace_name(row.namespace))?.unwrap_or_default();
                format!("{schema}.{}", row.name)
            };
            Err(permission_denied("type", &name))
        }
        _ => Ok(()),
    }
}

/// The catalog definition of `pg_language`.
pub fn language_def() -> &'static catalog::system::CatalogDef {
    catalog::system::CATALOGS
        .iter()
        .find(|d| d.oid == catalog::empty::PG_LANGUAGE)
        .expect("pg_language is a catalog")
}

/// The `pg_language` row named `name` (or of OID `oid` when `name` is
/// empty): where it is and its values.
pub fn language_row(
    session: &Session,
    name: &str,
) -> PgResult<Option<(storage::page::ItemPointer, Vec<types::Datum>)>> {
    language_row_by(
        session,
        |row| matches!(row.get(1), Some(types::Datum::Text(n)) if n == name),
    )
}

fn language_row_by(
    session: &Session,
    pred: impl Fn(&[types::Datum]) -> bool,
) -> PgResult<Option<(storage::page::ItemPointer, Vec<types::Datum>)>> {
    with_reader(session, |r| {
        let mut found = None;
        r.scan(language_def(), |tid, row| {
            if pred(&row) {
                found = Some((tid, row));
                return Ok(false);
            }
            Ok(true)
        })?;
        Ok(found)
    })
}

/// The privileges `user` has on the language whose row is `row`.
fn language_privileges(graph: &RoleGraph, user: u32, row: &[types::Datum]) -> (u32, u32) {
    if graph.is_superuser(user) {
        return (acl::ACL_USAGE, acl::ACL_USAGE);
    }
    let owner = match row.get(2) {
        Some(types::Datum::Oid(o)) => *o,
        _ => catalog::role::BOOTSTRAP_SUPERUSER_OID,
    };
    let texts = texts_of(row.get(8));
    let items = acl::from_texts(
        texts.as_deref(),
        ObjectKind::Language,
        &graph.name_of(owner),
    );
    acl_mask(graph, user, owner, &items)
}

/// CREATE FUNCTION in language `oid` needs its USAGE privilege (42501
/// `permission denied for language l`).
pub fn require_language_usage(session: &Session, oid: u32) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let Some((_, row)) = language_row_by(
        session,
        |row| matches!(row.first(), Some(types::Datum::Oid(o)) if *o == oid),
    )?
    else {
        return Ok(());
    };
    let graph = RoleGraph::load(session)?;
    if language_privileges(&graph, session.user_oid, &row).0 & acl::ACL_USAGE == 0 {
        let name = match row.get(1) {
            Some(types::Datum::Text(n)) => n.clone(),
            _ => oid.to_string(),
        };
        return Err(permission_denied("language", &name));
    }
    Ok(())
}

/// Refuses a statement whose current user lacks privileges the plan needs
/// (PostgreSQL's `ExecCheckRTPerms`), with 42501 `permission denied for
/// table t`. Superusers pass without looking.
pub fn check_plan_privileges(session: &Session, plan: &planner::PlannedStmt) -> PgResult<()> {
    require_function_execute(session, &plan.functions)?;
    // Reading a column needs SELECT, whatever else the statement does
    // (ON CONFLICT's arbiter and EXCLUDED columns, UPDATE's WHERE).
    let needed = |r: &planner::RelationLock| {
        r.perms
            | if r.columns.select.is_empty() {
                0
            } else {
                acl::ACL_SELECT
            }
    };
    if plan
        .relations
        .iter()
        .all(|r| (needed(r) == 0 || session.is_superuser) && r.view_perms.is_empty())
    {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    for r in &plan.relations {
        let mut checks = Vec::new();
        if needed(r) != 0 && !session.is_superuser {
            checks.push((session.user_oid, needed(r)));
        }
        for &(view, perms) in &r.view_perms {
            if let Some((_, v)) = with_reader(session, |rd| rd.class_by_oid(view))? {
                checks.push((v.owner, perms));
            }
        }
        for (user, perms) in checks {
            let Some((class, privs, _)) = relation_privileges(session, &graph, user, r.rel.oid)?
            else {
                continue;
            };
            let missing = perms & !privs;
            let by_columns = missing != 0
                && user == session.user_oid
                && column_privileges_cover(session, &graph, user, &class, missing, &r.columns)?;
            if missing != 0 && !by_columns {
                return Err(permission_denied(relation_word(class.kind), &class.name));
            }
        }
    }
    Ok(())
}

/// Whether privileges on columns make up for the table privileges
/// `missing` (PostgreSQL's rule: every column the statement reads, inserts
/// or updates needs the privilege; a statement that names no column needs
/// it on some column).
fn column_privileges_cover(
    session: &Session,
    graph: &RoleGraph,
    user: u32,
    class: &catalog::system::ClassRow,
    missing: u32,
    used: &planner::ColumnUse,
) -> PgResult<bool> {
    if used.unknown || missing & !(acl::ACL_SELECT | acl::ACL_INSERT | acl::ACL_UPDATE) != 0 {
        return Ok(false);
    }
    let attrs = with_reader(session, |r| r.attributes(class.oid))?;
    let column_privs = |a: &catalog::system::AttributeRow| {
        let items = acl::from_texts(Some(a.acl.as_deref().unwrap_or(&[])), ObjectKind::Table, "");
        acl_mask(graph, user, class.owner, &items).0
    };
    for (bit, names) in [
        (acl::ACL_SELECT, &used.select),
        (acl::ACL_INSERT, &used.insert),
        (acl::ACL_UPDATE, &used.update),
    ] {
        if missing & bit == 0 {
            continue;
        }
        let live = attrs.iter().map(|(_, a)| a).filter(|a| !a.dropped);
        let ok = if names.is_empty() {
            live.clone().any(|a| column_privs(a) & bit != 0)
        } else {
            names.iter().all(|n| {
                live.clone()
                    .find(|a| a.attnum == *n)
                    .is_some_and(|a| column_privs(a) & bit != 0)
            })
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// DDL on relation `oid` is for its owner (or a member of the owner role)
/// and superusers: 42501 `must be owner of table t` otherwise.
pub fn require_relation_owner(session: &Session, oid: u32) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let Some((_, class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Ok(());
    };
    let graph = RoleGraph::load(session)?;
    if graph.has_privs_of(session.user_oid, class.owner) {
        return Ok(());
    }
    Err(must_be_owner(relation_word(class.kind), &class.name))
}

/// 42501 `permission denied for table t` unless the current user holds
/// all of `perms` on relation `oid`.
pub fn require_relation_privileges(session: &Session, oid: u32, perms: u32) -> PgResult<()> {
    check_relation(session, oid, |held| held & perms == perms)
}

/// As [`require_relation_privileges`], for any one of `perms`.
pub fn require_any_relation_privilege(session: &Session, oid: u32, perms: u32) -> PgResult<()> {
    check_relation(session, oid, |held| held & perms != 0)
}

fn check_relation(session: &Session, oid: u32, ok: impl Fn(u32) -> bool) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    match relation_privileges(session, &graph, session.user_oid, oid)? {
        Some((class, held, _)) if !ok(held) => {
            Err(permission_denied(relation_word(class.kind), &class.name))
        }
        _ => Ok(()),
    }
}

/// The privileges `user` has on schema `oid`.
pub fn schema_privileges(
    session: &Session,
    graph: &RoleGraph,
    user: u32,
    oid: u32,
) -> PgResult<Option<(String, u32)>> {
    let Some((_, row)) = with_reader(session, |r| r.namespace_full(oid))? else {
        return Ok(None);
    };
    let (name, owner, texts) = (row.name, row.owner, row.acl);
    let all = ObjectKind::Schema.all_privileges();
    if graph.is_superuser(user) {
        return Ok(Some((name, all)));
    }
    // The system schemas are everyone's to use.
    let system = matches!(
        oid,
        catalog::system::PG_CATALOG_NAMESPACE | catalog::system::PG_TOAST_NAMESPACE
    ) || name == "information_schema";
    let items = acl::from_texts(texts.as_deref(), ObjectKind::Schema, &graph.name_of(owner));
    let (mut privs, _) = acl_mask(graph, user, owner, &items);
    if system && texts.is_none() {
        privs |= acl::ACL_USAGE;
    }
    privs |= predefined_privileges(graph, user, ObjectKind::Schema);
    if owner == catalog::system::PG_DATABASE_OWNER && is_database_owner(session, graph, user)? {
        privs |= items
            .iter()
            .filter(|i| i.grantee == "pg_database_owner")
            .fold(0, |p, i| p | i.privs);
    }
    Ok(Some((name, privs)))
}

/// Whether `user` has the privileges of the current database's owner
/// (membership in `pg_database_owner`).
fn is_database_owner(session: &Session, graph: &RoleGraph, user: u32) -> PgResult<bool> {
    let db = session.database.clone();
    let owner = with_reader(session, |r| r.database(&db))?.map(|(_, d)| d.owner);
    Ok(owner.is_some_and(|o| graph.has_privs_of(user, o)))
}

/// Naming an object in schema `oid` needs its USAGE privilege (42501
/// `permission denied for schema s`).
pub fn require_schema_usage(session: &Session, oid: u32) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    match schema_privileges(session, &graph, session.user_oid, oid)? {
        Some((name, privs)) if privs & acl::ACL_USAGE == 0 => {
            Err(permission_denied("schema", &name))
        }
        _ => Ok(()),
    }
}

/// CREATE in schema `oid` needs its CREATE privilege (42501 `permission
/// denied for schema s`).
pub fn require_schema_create(session: &Session, oid: u32) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    match schema_privileges(session, &graph, session.user_oid, oid)? {
        Some((name, privs)) if privs & acl::ACL_CREATE == 0 => {
            Err(permission_denied("schema", &name))
        }
        _ => Ok(()),
    }
}

/// The privilege names a `has_*_privilege` function accepts for `func`.
fn privilege_names(func: &str) -> &'static [(&'static str, u32)] {
    use catalog::acl::*;
    match func {
        "has_table_privilege" => &[
            ("SELECT", ACL_SELECT),
            ("INSERT", ACL_INSERT),
            ("UPDATE", ACL_UPDATE),
            ("DELETE", ACL_DELETE),
            ("TRUNCATE", ACL_TRUNCATE),
            ("REFERENCES", ACL_REFERENCES),
            ("TRIGGER", ACL_TRIGGER),
            ("RULE", 0),
        ],
        "has_column_privilege" => &[
            ("SELECT", ACL_SELECT),
            ("INSERT", ACL_INSERT),
            ("UPDATE", ACL_UPDATE),
            ("REFERENCES", ACL_REFERENCES),
        ],
        "has_sequence_privilege" => &[
            ("USAGE", ACL_USAGE),
            ("SELECT", ACL_SELECT),
            ("UPDATE", ACL_UPDATE),
        ],
        "has_schema_privilege" => &[("CREATE", ACL_CREATE), ("USAGE", ACL_USAGE)],
        "has_database_privilege" => &[
            ("CREATE", ACL_CREATE),
            ("TEMPORARY", ACL_CREATE_TEMP),
            ("TEMP", ACL_CREATE_TEMP),
            ("CONNECT", ACL_CONNECT),
        ],
        "has_function_privilege" => &[("EXECUTE", ACL_EXECUTE)],
        "has_type_privilege"
        | "has_language_privilege"
        | "has_foreign_data_wrapper_privilege"
        | "has_server_privilege" => &[("USAGE", ACL_USAGE)],
        // pg_has_role: MEMBER and USAGE (PostgreSQL's ACL_CREATE and
        // ACL_USAGE stand-ins).
        _ => &[("MEMBER", ACL_CREATE), ("USAGE", ACL_USAGE)],
    }
}

/// Parses a privilege list (`'select, update WITH GRANT OPTION'`) into
/// (privileges, privileges asked WITH GRANT OPTION).
fn parse_privileges(func: &str, text: &str) -> PgResult<(u32, u32)> {
    let names = privilege_names(func);
    let (mut privs, mut opts) = (0, 0);
    for part in text.split(',') {
        let words: Vec<String> = part
            .split_whitespace()
            .map(|w| w.to_ascii_uppercase())
            .collect();
        let (name, grant) = match words.as_slice() {
            [n] => (n.as_str(), false),
            [n, w, g, o] if w == "WITH" && (g == "GRANT" || g == "ADMIN") && o == "OPTION" => {
                (n.as_str(), true)
            }
            _ => ("", false),
        };
        let Some((_, bit)) = names.iter().find(|(n, _)| *n == name) else {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("unrecognized privilege type: \"{}\"", part.trim()),
            ));
        };
        if grant {
            opts |= bit;
        } else {
            privs |= bit;
        }
    }
    Ok((privs, opts))
}

/// `has_table_privilege` and its kin, and `pg_has_role` (see
/// `executor::ExecContext::has_privilege`).
pub fn has_privilege(
    session: &mut Session,
    func: &str,
    args: &[types::Datum],
) -> PgResult<Option<bool>> {
    use types::Datum;
    let graph = RoleGraph::load(session)?;
    let with_column = func == "has_column_privilege";
    let own_args = if with_column { 3 } else { 2 };
    let (user, rest) = if args.len() > own_args {
        let user = match &args[0] {
            Datum::Oid(o) => *o,
            Datum::Text(name) => graph.require(name)?.oid,
            _ => return Ok(None),
        };
        (user, &args[1..])
    } else {
        (session.user_oid, args)
    };
    let Some(Datum::Text(priv_text)) = rest.last() else {
        return Ok(None);
    };
    let (privs, opts) = parse_privileges(func, priv_text)?;
    let answer = |held: u32, held_opts: u32| (held & privs) != 0 || (held_opts & opts) != 0;
    let object = &rest[0];
    match func {
        "has_table_privilege" | "has_sequence_privilege" | "has_column_privilege" => {
            let oid = match object {
                Datum::Oid(o) => *o,
                Datum::Text(t) => crate::relcache::regclass_lookup(session, t)?.oid,
                _ => return Ok(None),
            };
            let Some((class, held, held_opts)) = relation_privileges(session, &graph, user, oid)?
            else {
                return Ok(None);
            };
            if func == "has_sequence_privilege" && class.kind != 'S' {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("\"{}\" is not a sequence", class.name),
                ));
            }
            if with_column {
                let attrs = with_reader(session, |r| r.attributes(oid))?;
                let found = match &rest[1] {
                    Datum::Text(c) => {
                        let hit = attrs.iter().any(|(_, a)| &a.name == c && !a.dropped);
                        if !hit {
                            return Err(PgError::new(
                                SqlState::UndefinedColumn,
                                format!(
                                    "column \"{c}\" of relation \"{}\" does not exist",
                                    class.name
                                ),
                            ));
                        }
                        true
                    }
                    Datum::Int2(n) => {
                        attrs.iter().any(|(_, a)| a.attnum == *n && !a.dropped)
                            || (*n < 0 && *n >= -7)
                    }
                    _ => false,
                };
                if !found {
                    return Ok(None);
                }
                // The column's own privileges add to the table's.
                let column = attrs.iter().map(|(_, a)| a).find(|a| match &rest[1] {
                    Datum::Text(c) => &a.name == c,
                    Datum::Int2(n) => a.attnum == *n,
                    _ => false,
                });
                if let Some(a) = column
                    && !graph.is_superuser(user)
                {
                    let items = acl::from_texts(
                        Some(a.acl.as_deref().unwrap_or(&[])),
                        ObjectKind::Table,
                        "",
                    );
                    let (p, o) = acl_mask(&graph, user, class.owner, &items);
                    return Ok(Some(answer(held | p, held_opts | o)));
                }
            }
            Ok(Some(answer(held, held_opts)))
        }
        "has_schema_privilege" => {
            let oid = match object {
                Datum::Oid(o) => *o,
                Datum::Text(t) => crate::relcache::namespace_oid(session, t)?.ok_or_else(|| {
                    PgError::new(
                        SqlState::InvalidSchemaName,
                        format!("schema \"{t}\" does not exist"),
                    )
                })?,
                _ => return Ok(None),
            };
            Ok(schema_privileges(session, &graph, user, oid)?
                .map(|(_, held)| answer(held, if graph.is_superuser(user) { held } else { 0 })))
        }
        "has_database_privilege" => {
            let dbs = with_reader(session, |r| r.databases())?;
            let db = match object {
                Datum::Oid(o) => dbs.into_iter().find(|(_, d)| d.oid == *o),
                Datum::Text(t) => {
                    Some(dbs.into_iter().find(|(_, d)| &d.name == t).ok_or_else(|| {
                        PgError::new(
                            SqlState::InvalidCatalogName,
                            format!("database \"{t}\" does not exist"),
                        )
                    })?)
                }
                _ => None,
            };
            let Some((_, db)) = db else {
                return Ok(None);
            };
            if graph.is_superuser(user) {
                return Ok(Some(true));
            }
            let stored = (!db.acl.is_empty()).then_some(db.acl.as_slice());
            let owner = graph.name_of(db.owner);
            let items = acl::from_texts(stored, ObjectKind::Database, &owner);
            let (held, held_opts) = acl_mask(&graph, user, db.owner, &items);
            Ok(Some(answer(held, held_opts)))
        }
        "has_function_privilege" => {
            let row = match object {
                Datum::Oid(o) => with_reader(session, |r| r.function_by_oid(*o))?,
                Datum::Text(t) => Some(function_by_signature(session, t)?),
                _ => return Ok(None),
            };
            match row {
                Some(row) => {
                    let (held, held_opts) = function_privileges(&graph, user, &row);
                    Ok(Some(answer(held, held_opts)))
                }
                // A built-in function (no catalog row here): EXECUTE is
                // PUBLIC's, as by default in PostgreSQL.
                None => Ok(Some(privs != 0 || graph.is_superuser(user))),
            }
        }
        "has_type_privilege" => {
            let oid = match object {
                Datum::Oid(o) => *o,
                Datum::Text(t) => {
                    let dt =
                        sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                            .try_with_sql(t.trim())
                            .and_then(|mut p| p.parse_data_type())
                            .map_err(|_| {
                                PgError::new(
                                    SqlState::SyntaxError,
                                    format!("invalid type name \"{t}\""),
                                )
                            })?;
                    crate::commands::typecmds::resolve_type(session, &dt)?.0
                }
                _ => return Ok(None),
            };
            Ok(type_privileges(session, &graph, user, oid)?
                .map(|(_, held, held_opts)| answer(held, held_opts)))
        }
        "has_language_privilege" => {
            let row = match object {
                Datum::Oid(o) => language_row_by(
                    session,
                    |row| matches!(row.first(), Some(Datum::Oid(x)) if x == o),
                )?,
                Datum::Text(t) => Some(language_row(session, t)?.ok_or_else(|| {
                    PgError::new(
                        SqlState::UndefinedObject,
                        format!("language \"{t}\" does not exist"),
                    )
                })?),
                _ => return Ok(None),
            };
            Ok(row.map(|(_, row)| {
                let (held, held_opts) = language_privileges(&graph, user, &row);
                answer(held, held_opts)
            }))
        }
        "has_foreign_data_wrapper_privilege" | "has_server_privilege" => {
            let server = func == "has_server_privilege";
            let Some((owner, acl)) =
                crate::commands::foreigncmds::privilege_target(session, server, object)?
            else {
                return Ok(None);
            };
            let kind = if server {
                ObjectKind::ForeignServer
            } else {
                ObjectKind::ForeignDataWrapper
            };
            if graph.is_superuser(user) {
                return Ok(Some(true));
            }
            let items = acl::from_texts(acl.as_deref(), kind, &graph.name_of(owner));
            let (held, held_opts) = acl_mask(&graph, user, owner, &items);
            Ok(Some(answer(held, held_opts)))
        }
        _ => {
            // pg_has_role
            let role = match object {
                Datum::Oid(o) => *o,
                Datum::Text(t) => graph.require(t)?.oid,
                _ => return Ok(None),
            };
            let member = privs & acl::ACL_CREATE != 0 && graph.is_member_of(user, role);
            let usage = privs & acl::ACL_USAGE != 0 && graph.has_privs_of(user, role);
            let admin = opts != 0 && graph.is_admin_of(user, role);
            Ok(Some(member || usage || admin))
        }
    }
}

/// The function a `regprocedure` text names (`f(int, text)`, or a name
/// alone when only one function has it): 42883 `function "x" does not
/// exist` otherwise.
fn function_by_signature(session: &mut Session, text: &str) -> PgResult<catalog::system::ProcRow> {
    let missing = || {
        PgError::new(
            SqlState::UndefinedFunction,
            format!("function \"{text}\" does not exist"),
        )
    };
    let sql = format!("DROP FUNCTION {text}");
    let stmts =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &sql)
            .map_err(|_| missing())?;
    let Some(sqlparser::ast::Statement::DropFunction(df)) = stmts.first() else {
        return Err(missing());
    };
    let [desc] = df.func_desc.as_slice() else {
        return Err(missing());
    };
    let parts: Vec<String> = desc
        .name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(crate::commands::ident)
        .collect();
    crate::commands::function::lookup_routine(
        session,
        desc,
        &parts,
        crate::commands::function::RoutineKind::Routine,
    )
    .map(|(_, row)| row)
    .map_err(|e| match e.code {
        SqlState::UndefinedFunction | SqlState::AmbiguousFunction => missing(),
        _ => e,
    })
}

/// The role an `OWNER TO` names.
pub fn owner_role(
    session: &Session,
    graph: &RoleGraph,
    owner: &sqlparser::ast::Owner,
) -> PgResult<AuthidRow> {
    use sqlparser::ast::Owner;
    let name = match owner {
        Owner::Ident(i) if i.quote_style.is_some() => i.value.clone(),
        Owner::Ident(i) => i.value.to_lowercase(),
        Owner::CurrentRole | Owner::CurrentUser => session.user.clone(),
        Owner::SessionUser => session.auth.session.name.clone(),
    };
    graph.require(&name).cloned()
}

/// ALTER ... OWNER TO by a user who is not a superuser: PostgreSQL's
/// `check_is_member_of_role` of the new owner, who must also be able to
/// create in the object's schema (`namespace`, 0 for none).
pub fn check_new_owner(
    session: &Session,
    graph: &RoleGraph,
    new: &AuthidRow,
    namespace: u32,
) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    if !graph.is_member_of(session.user_oid, new.oid) {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("must be member of role \"{}\"", new.name),
        ));
    }
    if namespace != 0
        && let Some((schema, privs)) = schema_privileges(session, graph, new.oid, namespace)?
        && privs & acl::ACL_CREATE == 0
    {
        return Err(permission_denied("schema", &schema));
    }
    Ok(())
}

/// An ACL after its object changed owner (PostgreSQL's `aclnewowner`): the
/// old owner's items, as grantee and as grantor, become the new owner's.
pub fn acl_new_owner(stored: Option<&[String]>, old: &str, new: &str) -> Option<Vec<String>> {
    let stored = stored?;
    let mut out: Vec<AclItem> = Vec::new();
    for mut item in stored.iter().filter_map(|t| AclItem::parse(t)) {
        if item.grantee == old {
            item.grantee = new.to_owned();
        }
        if item.grantor == old {
            item.grantor = new.to_owned();
        }
        match out
            .iter_mut()
            .find(|o| o.grantee == item.grantee && o.grantor == item.grantor)
        {
            Some(o) => {
                o.privs |= item.privs;
                o.grant_options |= item.grant_options;
            }
            None => out.push(item),
        }
    }
    Some(acl::to_texts(&out))
}

/// ALTER TABLE / VIEW / SEQUENCE ... OWNER TO: the owner must be a member
/// of the new owner role, which must be able to create in the schema;
/// superusers may give anything to anyone.
pub fn alter_relation_owner(
    session: &mut Session,
    oid: u32,
    owner: &sqlparser::ast::Owner,
) -> PgResult<()> {
    let graph = RoleGraph::load(session)?;
    let new = owner_role(session, &graph, owner)?;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Ok(());
    };
    if class.owner == new.oid {
        return Ok(());
    }
    if !session.is_superuser {
        if !graph.has_privs_of(session.user_oid, class.owner) {
            return Err(must_be_owner(relation_word(class.kind), &class.name));
        }
        if !graph.is_member_of(session.user_oid, new.oid) {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                format!("must be member of role \"{}\"", new.name),
            ));
        }
        if let Some((schema, privs)) = schema_privileges(session, &graph, new.oid, class.namespace)?
            && privs & acl::ACL_CREATE == 0
        {
            return Err(permission_denied("schema", &schema));
        }
    }
    let old_name = graph.name_of(class.owner);
    class.acl = acl_new_owner(class.acl.as_deref(), &old_name, &new.name);
    class.owner = new.oid;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        catalog::heap_catalog::CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    // The relation cache keeps the owner (row-level security reads it).
    crate::commands::catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

/// What depends on role `role` in this database and the shared catalogs,
/// as PostgreSQL's DROP ROLE lists it (`owner of table t`, `privileges for
/// schema s`), in OID order.
pub fn role_dependents(session: &Session, role: &AuthidRow) -> PgResult<Vec<String>> {
    let mentions = |acl: &Option<Vec<String>>| {
        acl.iter()
            .flatten()
            .filter_map(|t| AclItem::parse(t))
            .any(|i| i.grantee == role.name || i.grantor == role.name)
    };
    let mut found: Vec<(u32, String)> = Vec::new();
    let (classes, namespaces, databases) = with_reader(session, |r| {
        let mut classes = Vec::new();
        r.scan(&catalog::system::PG_CLASS_DEF, |_, row| {
            classes.push(catalog::heap_catalog::class_from_datums(&row));
            Ok(true)
        })?;
        let mut namespaces = Vec::new();
        r.scan(&catalog::system::PG_NAMESPACE_DEF, |_, row| {
            if let Some(types::Datum::Oid(oid)) = row.first() {
                namespaces.push(*oid);
            }
            Ok(true)
        })?;
        let mut full = Vec::new();
        for oid in namespaces {
            if let Some((_, n)) = r.namespace_full(oid)? {
                full.push((oid, n));
            }
        }
        Ok((classes, full, r.databases()?))
    })?;
    for c in classes
        .iter()
        .filter(|c| matches!(c.kind, 'r' | 'p' | 'v' | 'm' | 'S' | 'f'))
    {
        let schema = namespaces
            .iter()
            .find(|(o, _)| *o == c.namespace)
            .map(|(_, n)| n.name.clone())
            .unwrap_or_default();
        let name = if c.namespace == catalog::system::PUBLIC_NAMESPACE {
            c.name.clone()
        } else {
            format!("{schema}.{}", c.name)
        };
        let word = relation_word(c.kind);
        if c.owner == role.oid {
            found.push((c.oid, format!("owner of {word} {name}")));
        }
        if c.owner != role.oid && mentions(&c.acl) {
            found.push((c.oid, format!("privileges for {word} {name}")));
        }
    }
    let column_acls = with_reader(session, |r| r.column_acls())?;
    for (relid, column, items) in column_acls {
        if let Some(c) = classes.iter().find(|c| c.oid == relid)
            && c.owner != role.oid
            && mentions(&Some(items))
        {
            let word = relation_word(c.kind);
            found.push((
                c.oid,
                format!("privileges for column {column} of {word} {}", c.name),
            ));
        }
    }
    for (oid, n) in &namespaces {
        if n.owner == role.oid {
            found.push((*oid, format!("owner of schema {}", n.name)));
        }
        if n.owner != role.oid && mentions(&n.acl) {
            found.push((*oid, format!("privileges for schema {}", n.name)));
        }
    }
    for (_, p) in with_reader(session, |r| r.all_policies())? {
        if p.roles.contains(&role.oid)
            && let Some(c) = classes.iter().find(|c| c.oid == p.relid)
        {
            found.push((
                p.oid,
                format!("target of policy {} on table {}", p.name, c.name),
            ));
        }
    }
    let functions = with_reader(session, |r| {
        let mut out = Vec::new();
        r.scan(&catalog::system::PG_PROC_DEF, |_, row| {
            out.push(catalog::system::ProcRow::from_datums(&row));
            Ok(true)
        })?;
        Ok(out)
    })?;
    for f in &functions {
        // PostgreSQL's object description: "function", whatever the kind.
        let what = "function";
        let signature = format!(
            "{}({})",
            f.name,
            f.arg_types
                .iter()
                .map(|&t| types::oid::format_type(t, -1))
                .collect::<Vec<_>>()
                .join(",")
        );
        if f.owner == role.oid {
            found.push((f.oid, format!("owner of {what} {signature}")));
        } else if mentions(&f.acl) {
            found.push((f.oid, format!("privileges for {what} {signature}")));
        }
    }
    found.extend(default_privileges::role_dependents(session, role)?);
    found.extend(crate::commands::foreigncmds::role_dependents(
        session, role,
    )?);
    for (_, d) in &databases {
        if d.owner == role.oid {
            found.push((d.oid, format!("owner of database {}", d.name)));
        }
        if d.owner != role.oid && mentions(&Some(d.acl.clone())) {
            found.push((d.oid, format!("privileges for database {}", d.name)));
        }
    }
    found.sort_by_key(|(o, _)| *o);
    Ok(found.into_iter().map(|(_, t)| t).collect())
}

/// REASSIGN OWNED: the relations and schemas of this database that `from`
/// owns become `to`'s (their ACLs follow, as with OWNER TO).
pub fn reassign_owned(session: &mut Session, from: &AuthidRow, to: &AuthidRow) -> PgResult<()> {
    let db = session.database_oid;
    let classes = with_reader(session, |r| {
        let mut out = Vec::new();
        r.scan(&catalog::system::PG_CLASS_DEF, |tid, row| {
            let c = catalog::heap_catalog::class_from_datums(&row);
            if c.owner == from.oid {
                out.push((tid, c));
            }
            Ok(true)
        })?;
        Ok(out)
    })?;
    for (tid, mut class) in classes {
        crate::xact::lock_relation(session, class.oid, storage::lmgr::LockMode::AccessExclusive)?;
        class.acl = acl_new_owner(class.acl.as_deref(), &from.name, &to.name);
        class.owner = to.oid;
        crate::xact::with_write(session, |env, w| {
            catalog::heap_catalog::CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
        })?;
    }
    for (oid, tid, row) in owned_schemas(session, from.oid)? {
        let acl = acl_new_owner(row.acl.as_deref(), &from.name, &to.name);
        crate::xact::with_write(session, |env, w| {
            catalog::heap_catalog::CatalogWriter { env, db_oid: db }.update_namespace(
                w,
                tid,
                (oid, &row.name, to.oid),
                &acl,
            )
        })?;
    }
    crate::xact::command_counter_increment(session)
}

/// The schemas of this database `owner` owns: (OID, tid, row).
fn owned_schemas(
    session: &Session,
    owner: u32,
) -> PgResult<
    Vec<(
        u32,
        storage::page::ItemPointer,
        catalog::heap_catalog::NamespaceRow,
    )>,
> {
    with_reader(session, |r| {
        let mut oids = Vec::new();
        r.scan(&catalog::system::PG_NAMESPACE_DEF, |_, row| {
            if let Some(types::Datum::Oid(oid)) = row.first() {
                oids.push(*oid);
            }
            Ok(true)
        })?;
        let mut out = Vec::new();
        for oid in oids {
            if let Some((tid, n)) = r.namespace_full(oid)?
                && n.owner == owner
            {
                out.push((oid, tid, n));
            }
        }
        Ok(out)
    })
}

/// DROP OWNED: the privileges granted to `role` on this database's
/// relations, columns and schemas go, then the views, tables, sequences
/// and schemas it owns (with `cascade`, what depends on them too).
pub fn drop_owned(session: &mut Session, role: &AuthidRow, cascade: bool) -> PgResult<()> {
    let db = session.database_oid;
    let strip = |acl: &Option<Vec<String>>| -> Option<Option<Vec<String>>> {
        let items = acl.as_ref()?;
        let kept: Vec<String> = items
            .iter()
            .filter(|t| AclItem::parse(t).is_none_or(|i| i.grantee != role.name))
            .cloned()
            .collect();
        (kept.len() != items.len()).then_some(Some(kept))
    };
    let (classes, attrs) = with_reader(session, |r| {
        let mut classes = Vec::new();
        r.scan(&catalog::system::PG_CLASS_DEF, |tid, row| {
            classes.push((tid, catalog::heap_catalog::class_from_datums(&row)));
            Ok(true)
        })?;
        let mut attrs = Vec::new();
        for (relid, _, _) in r.column_acls()? {
            if !attrs.iter().any(|(o, _)| *o == relid) {
                attrs.push((relid, r.attributes(relid)?));
            }
        }
        Ok((classes, attrs))
    })?;
    for (tid, mut class) in classes.iter().cloned() {
        if class.owner == role.oid {
            continue;
        }
        if let Some(acl) = strip(&class.acl) {
            class.acl = acl;
            crate::xact::with_write(session, |env, w| {
                catalog::heap_catalog::CatalogWriter { env, db_oid: db }
                    .update_class(tid, &class, w)
            })?;
        }
    }
    for (_, list) in attrs {
        for (tid, mut attr) in list {
            if let Some(acl) = strip(&attr.acl) {
                attr.acl = acl.filter(|a| !a.is_empty());
                crate::xact::with_write(session, |env, w| {
                    catalog::heap_catalog::CatalogWriter { env, db_oid: db }
                        .update_attribute(tid, &attr, w)
                })?;
            }
        }
    }
    let namespaces = with_reader(session, |r| {
        let mut oids = Vec::new();
        r.scan(&catalog::system::PG_NAMESPACE_DEF, |_, row| {
            if let Some(types::Datum::Oid(oid)) = row.first() {
                oids.push(*oid);
            }
            Ok(true)
        })?;
        let mut out = Vec::new();
        for oid in oids {
            if let Some((tid, n)) = r.namespace_full(oid)? {
                out.push((oid, tid, n));
            }
        }
        Ok(out)
    })?;
    for (oid, tid, n) in &namespaces {
        if n.owner == role.oid {
            continue;
        }
        if let Some(acl) = strip(&n.acl) {
            crate::xact::with_write(session, |env, w| {
                catalog::heap_catalog::CatalogWriter { env, db_oid: db }.update_namespace(
                    w,
                    *tid,
                    (*oid, &n.name, n.owner),
                    &acl,
                )
            })?;
        }
    }
    let functions = with_reader(session, |r| {
        let mut out = Vec::new();
        r.scan(&catalog::system::PG_PROC_DEF, |tid, row| {
            out.push((tid, catalog::system::ProcRow::from_datums(&row)));
            Ok(true)
        })?;
        Ok(out)
    })?;
    let mut owned_functions = Vec::new();
    for (tid, mut f) in functions {
        if f.owner == role.oid {
            owned_functions.push((tid, f));
            continue;
        }
        if let Some(acl) = strip(&f.acl) {
            f.acl = acl;
            crate::xact::with_write(session, |env, w| {
                catalog::heap_catalog::CatalogWriter { env, db_oid: db }.update_function(tid, &f, w)
            })?;
        }
    }
    default_privileges::drop_owned(session, role)?;
    crate::xact::command_counter_increment(session)?;
    // The owned objects, views first (they may read the tables).
    let qualified = |c: &catalog::system::ClassRow| {
        let schema = namespaces
            .iter()
            .find(|(o, _, _)| *o == c.namespace)
            .map(|(_, _, n)| n.name.clone())
            .unwrap_or_default();
        sqlparser::ast::ObjectName::from(vec![
            sqlparser::ast::Ident::with_quote('"', schema),
            sqlparser::ast::Ident::with_quote('"', c.name.clone()),
        ])
    };
    for kinds in [&['v', 'm'][..], &['r', 'p'], &['S']] {
        let names: Vec<_> = classes
            .iter()
            .map(|(_, c)| c)
            .filter(|c| c.owner == role.oid && kinds.contains(&c.kind))
            .filter(|c| !(c.kind == 'r' && c.namespace == catalog::system::PG_CATALOG_NAMESPACE))
            .map(qualified)
            .collect();
        for name in names {
            // What CASCADE took already is gone: IF EXISTS.
            let r = match kinds[0] {
                'v' => crate::commands::drop_views_for_owned(session, &name, cascade),
                'r' => crate::commands::drop_tables_for_owned(session, &name, cascade),
                _ => crate::commands::drop_sequences_for_owned(session, &name, cascade),
            };
            r?;
        }
    }
    let schemas: Vec<_> = namespaces
        .iter()
        .filter(|(_, _, n)| n.owner == role.oid)
        .map(|(_, _, n)| {
            sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::with_quote(
                '"',
                n.name.clone(),
            )])
        })
        .collect();
    drop_owned_functions(session, owned_functions)?;
    for name in schemas {
        crate::commands::drop_schema_for_owned(session, &name, cascade)?;
    }
    Ok(())
}

/// DROP OWNED's functions, procedures and aggregates: their rows go (an
/// aggregate's `pg_aggregate` row and what depends on a function too).
fn drop_owned_functions(
    session: &mut Session,
    owned: Vec<(storage::page::ItemPointer, catalog::system::ProcRow)>,
) -> PgResult<()> {
    if owned.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for (tid, f) in &owned {
        if f.kind == 'a' {
            if let Some((agg_tid, _)) = with_reader(session, |r| r.aggregate(f.oid))? {
                rows.push((catalog::system::PG_AGGREGATE, agg_tid));
            }
        } else {
            for (proc_tid, agg_tid, _) in crate::commands::aggregate::dependents(session, f)? {
                if !rows.contains(&(catalog::system::PG_PROC, proc_tid)) {
                    rows.push((catalog::system::PG_PROC, proc_tid));
                    rows.push((catalog::system::PG_AGGREGATE, agg_tid));
                }
            }
        }
        let oid = f.oid;
        rows.extend(with_reader(session, |r| {
            r.description_rows(catalog::system::PG_PROC, oid, None)
        })?);
        if !rows.contains(&(catalog::system::PG_PROC, *tid)) {
            rows.push((catalog::system::PG_PROC, *tid));
        }
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        catalog::heap_catalog::CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    crate::commands::catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

/// CREATE SCHEMA needs the database's CREATE privilege (42501 `permission
/// denied for database d`).
pub fn require_database_create(session: &Session) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    let db = session.database.clone();
    let Some((_, row)) = with_reader(session, |r| r.database(&db))? else {
        return Ok(());
    };
    let stored = (!row.acl.is_empty()).then_some(row.acl.as_slice());
    let items = acl::from_texts(stored, ObjectKind::Database, &graph.name_of(row.owner));
    let (privs, _) = acl_mask(&graph, session.user_oid, row.owner, &items);
    if privs & acl::ACL_CREATE == 0 {
        return Err(permission_denied("database", &row.name));
    }
    Ok(())
}

/// COPY: privilege `bit` on the table, or on each of the columns `attnums`
/// copied.
pub fn require_column_privileges(
    session: &Session,
    oid: u32,
    bit: u32,
    attnums: &[i16],
) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    let Some((class, privs, _)) = relation_privileges(session, &graph, session.user_oid, oid)?
    else {
        return Ok(());
    };
    if privs & bit != 0 {
        return Ok(());
    }
    let mut used = planner::ColumnUse::default();
    match bit {
        acl::ACL_INSERT => used.insert = attnums.to_vec(),
        _ => used.select = attnums.to_vec(),
    }
    if column_privileges_cover(session, &graph, session.user_oid, &class, bit, &used)? {
        return Ok(());
    }
    Err(permission_denied(relation_word(class.kind), &class.name))
}
