//! GRANT and REVOKE of object privileges (PostgreSQL's `aclchk.c`).
//!
//! Each object's ACL (see `catalog::acl`) is read, changed for every
//! grantee, and written back in its catalog row: `relacl` of tables, views
//! and sequences, `nspacl` of schemas, `datacl` of databases.
//!
//! The grantor of record is the object's owner when the current user is a
//! superuser or has the owner's privileges (PostgreSQL's rule: a superuser
//! acts as the owner); anyone else grants as themselves, and only what they
//! hold WITH GRANT OPTION, with PostgreSQL's warnings for the rest.

use catalog::acl::{self, AclItem, ObjectKind};
use catalog::heap_catalog::CatalogWriter;
use sqlparser::ast::{Action, GrantObjects, Privileges};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::acl::RoleGraph;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// One GRANT or REVOKE, object kind aside.
struct Change<'a> {
    is_grant: bool,
    privileges: &'a Privileges,
    /// Role names; "" is PUBLIC.
    grantees: Vec<String>,
    /// WITH GRANT OPTION (GRANT) or GRANT OPTION FOR (REVOKE).
    grant_option: bool,
    /// REVOKE ... CASCADE.
    cascade: bool,
    /// The objects were named as SEQUENCE.
    as_sequence: bool,
}

/// GRANT privileges ON objects TO grantees [WITH GRANT OPTION].
pub(crate) fn grant(session: &mut Session, g: &sqlparser::ast::Grant) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "GRANT")?;
    if g.as_grantor.is_some() || g.current_grants.is_some() {
        return Err(PgError::feature_not_supported(
            "GRANT ... AS / COPY CURRENT GRANTS",
        ));
    }
    check_grantor(session, g.granted_by.as_ref())?;
    let Some(objects) = &g.objects else {
        return Err(PgError::syntax("syntax error at or near \"TO\"", None));
    };
    let change = Change {
        is_grant: true,
        privileges: &g.privileges,
        grantees: grantee_list(session, &g.grantees)?,
        grant_option: g.with_grant_option,
        cascade: false,
        as_sequence: matches!(
            objects,
            GrantObjects::Sequences(_) | GrantObjects::AllSequencesInSchema { .. }
        ),
    };
    apply(session, objects, &change)?;
    Ok(Outcome::Command("GRANT".into()))
}

/// REVOKE [GRANT OPTION FOR] privileges ON objects FROM grantees.
pub(crate) fn revoke(session: &mut Session, r: &sqlparser::ast::Revoke) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "REVOKE")?;
    check_grantor(session, r.granted_by.as_ref())?;
    let Some(objects) = &r.objects else {
        return Err(PgError::syntax("syntax error at or near \"FROM\"", None));
    };
    let change = Change {
        is_grant: false,
        privileges: &r.privileges,
        grantees: grantee_list(session, &r.grantees)?,
        grant_option: r.grant_option_for,
        cascade: matches!(r.cascade, Some(sqlparser::ast::CascadeOption::Cascade)),
        as_sequence: matches!(
            objects,
            GrantObjects::Sequences(_) | GrantObjects::AllSequencesInSchema { .. }
        ),
    };
    apply(session, objects, &change)?;
    Ok(Outcome::Command("REVOKE".into()))
}

/// GRANTED BY: only the current user (PostgreSQL's rule for objects).
fn check_grantor(session: &Session, by: Option<&sqlparser::ast::Ident>) -> PgResult<()> {
    let Some(by) = by else {
        return Ok(());
    };
    let name = if by.quote_style.is_some() {
        by.value.clone()
    } else {
        by.value.to_lowercase()
    };
    let name = match name.as_str() {
        "current_user" | "current_role" => session.user.clone(),
        "session_user" => session.auth.session.name.clone(),
        _ => name,
    };
    RoleGraph::load(session)?.require(&name)?;
    if name != session.user {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "grantor must be current user",
        ));
    }
    Ok(())
}

/// The grantees as ACL names ("" for PUBLIC), each an existing role.
pub(crate) fn grantee_list(
    session: &Session,
    grantees: &[sqlparser::ast::Grantee],
) -> PgResult<Vec<String>> {
    let graph = RoleGraph::load(session)?;
    super::user::grantee_names(grantees)?
        .into_iter()
        .map(|g| match g {
            None => Ok(String::new()),
            Some(name) => {
                let name = match name.as_str() {
                    "current_user" | "current_role" => session.user.clone(),
                    "session_user" => session.auth.session.name.clone(),
                    _ => name,
                };
                graph.require(&name).map(|r| r.name.clone())
            }
        })
        .collect()
}

/// The privilege bits of a GRANT's list for objects of `kind`; column
/// lists are not supported.
fn privilege_bits(p: &Privileges, kind: ObjectKind, as_sequence: bool) -> PgResult<u32> {
    let actions = match p {
        Privileges::All { .. } => return Ok(kind.all_privileges()),
        Privileges::Actions(a) => a,
    };
    let mut bits = 0;
    for a in actions {
        let (bit, name, columns) = match a {
            Action::Select { columns } => (acl::ACL_SELECT, "SELECT", columns),
            Action::Insert { columns } => (acl::ACL_INSERT, "INSERT", columns),
            Action::Update { columns } => (acl::ACL_UPDATE, "UPDATE", columns),
            Action::References { columns } => (acl::ACL_REFERENCES, "REFERENCES", columns),
            Action::Delete => (acl::ACL_DELETE, "DELETE", &None),
            Action::Truncate => (acl::ACL_TRUNCATE, "TRUNCATE", &None),
            Action::Trigger => (acl::ACL_TRIGGER, "TRIGGER", &None),
            Action::Execute { obj_type: None } => (acl::ACL_EXECUTE, "EXECUTE", &None),
            Action::Usage => (acl::ACL_USAGE, "USAGE", &None),
            Action::Create { obj_type: None } => (acl::ACL_CREATE, "CREATE", &None),
            Action::Temporary => (acl::ACL_CREATE_TEMP, "TEMPORARY", &None),
            Action::Connect => (acl::ACL_CONNECT, "CONNECT", &None),
            other => {
                return Err(PgError::syntax(
                    format!("unrecognized privilege type \"{other}\""),
                    None,
                ));
            }
        };
        if columns.is_some() {
            // A column privilege (see `column_privileges`).
            if kind != ObjectKind::Table {
                return Err(PgError::new(
                    SqlState::InvalidGrantOperation,
                    format!("invalid privilege type {name} for column"),
                ));
            }
            continue;
        }
        // Objects named as tables may be sequences: both kinds' privileges
        // pass here, and each object is checked against its own kind later
        // (PostgreSQL's ExecuteGrantStmt and ExecGrant_Relation).
        let (valid, what) = match kind {
            ObjectKind::Table | ObjectKind::Sequence if !as_sequence => (
                ObjectKind::Table.all_privileges() | ObjectKind::Sequence.all_privileges(),
                "relation",
            ),
            ObjectKind::Table | ObjectKind::Sequence => (kind.all_privileges(), "sequence"),
            ObjectKind::Database => (kind.all_privileges(), "database"),
            ObjectKind::Function => (kind.all_privileges(), "function"),
            ObjectKind::Schema => (kind.all_privileges(), "schema"),
            ObjectKind::Type => (kind.all_privileges(), "type"),
            ObjectKind::Language => (kind.all_privileges(), "language"),
            ObjectKind::ForeignDataWrapper => (kind.all_privileges(), "foreign-data wrapper"),
            ObjectKind::ForeignServer => (kind.all_privileges(), "foreign server"),
        };
        if valid & bit == 0 {
            return Err(PgError::new(
                SqlState::InvalidGrantOperation,
                format!("invalid privilege type {name} for {what}"),
            ));
        }
        bits |= bit;
    }
    Ok(bits)
}

/// The privileges of a GRANT's list given on columns: (column, bit).
fn column_privileges(p: &Privileges) -> Vec<(String, u32)> {
    let Privileges::Actions(actions) = p else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in actions {
        let (bit, columns) = match a {
            Action::Select { columns } => (acl::ACL_SELECT, columns),
            Action::Insert { columns } => (acl::ACL_INSERT, columns),
            Action::Update { columns } => (acl::ACL_UPDATE, columns),
            Action::References { columns } => (acl::ACL_REFERENCES, columns),
            _ => continue,
        };
        for c in columns.iter().flatten() {
            let name = if c.quote_style.is_some() {
                c.value.clone()
            } else {
                c.value.to_lowercase()
            };
            out.push((name, bit));
        }
    }
    out
}

/// Applies a change to the ACL of one object owned by `owner`; `what` and
/// `name` name it in messages. Returns the new ACL.
#[allow(clippy::too_many_arguments)]
fn change_acl(
    session: &mut Session,
    graph: &RoleGraph,
    change: &Change<'_>,
    kind: ObjectKind,
    owner: u32,
    stored: Option<&[String]>,
    what: &str,
    name: &str,
) -> PgResult<Vec<String>> {
    let mut want = privilege_bits(change.privileges, kind, change.as_sequence)?;
    let is_all = matches!(change.privileges, Privileges::All { .. });
    if kind == ObjectKind::Table && want & acl::ACL_USAGE != 0 {
        return Err(PgError::new(
            SqlState::InvalidGrantOperation,
            "invalid privilege type USAGE for table",
        ));
    }
    if kind == ObjectKind::Sequence {
        let allowed = kind.all_privileges();
        if want & !allowed != 0 {
            if !is_all {
                session.warn(
                    "01007",
                    format!(
                        "sequence \"{name}\" only supports USAGE, SELECT, and UPDATE privileges"
                    ),
                );
            }
            want &= allowed;
        }
    }
    let owner_name = graph.name_of(owner);
    let mut items: Vec<AclItem> = acl::from_texts(stored, kind, &owner_name);
    let me = session.user_oid;
    let grantor = if session.is_superuser || graph.has_privs_of(me, owner) {
        owner_name.clone()
    } else {
        let (privs, opts) = crate::acl::acl_mask(graph, me, owner, &items);
        if privs == 0 && opts == 0 {
            return Err(crate::acl::permission_denied(what, name));
        }
        let grantable = want & opts;
        if grantable == 0 {
            session.warn(
                "01007",
                if change.is_grant {
                    format!("no privileges were granted for \"{name}\"")
                } else {
                    format!("no privileges could be revoked for \"{name}\"")
                },
            );
        } else if grantable != want && !is_all {
            session.warn(
                "01007",
                if change.is_grant {
                    format!("not all privileges were granted for \"{name}\"")
                } else {
                    format!("not all privileges could be revoked for \"{name}\"")
                },
            );
        }
        want = grantable;
        session.user.clone()
    };
    for grantee in &change.grantees {
        if change.is_grant {
            if change.grant_option && grantee.is_empty() {
                return Err(PgError::new(
                    SqlState::InvalidGrantOperation,
                    "grant options can only be granted to roles",
                ));
            }
            acl::grant(&mut items, grantee, &grantor, want, change.grant_option);
        } else {
            acl::revoke(&mut items, grantee, &grantor, want, change.grant_option);
        }
    }
    if !change.is_grant && !acl::dependent_grants(&items, &owner_name).is_empty() {
        if !change.cascade {
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                "dependent privileges exist",
            )
            .with_hint("Use CASCADE to revoke them too."));
        }
        acl::revoke_dependents(&mut items, &owner_name);
    }
    Ok(acl::to_texts(&items))
}

fn apply(session: &mut Session, objects: &GrantObjects, change: &Change<'_>) -> PgResult<()> {
    // The privilege list is checked before any object is looked up.
    let kind = match objects {
        GrantObjects::Tables(_) | GrantObjects::AllTablesInSchema { .. } => Some(ObjectKind::Table),
        GrantObjects::Sequences(_) | GrantObjects::AllSequencesInSchema { .. } => {
            Some(ObjectKind::Sequence)
        }
        GrantObjects::Schemas(_) => Some(ObjectKind::Schema),
        GrantObjects::Databases(_) => Some(ObjectKind::Database),
        GrantObjects::Functions(_)
        | GrantObjects::Procedures(_)
        | GrantObjects::Routines(_)
        | GrantObjects::AllFunctionsInSchema { .. }
        | GrantObjects::AllProceduresInSchema { .. }
        | GrantObjects::AllRoutinesInSchema { .. } => Some(ObjectKind::Function),
        _ => None,
    };
    if let Some(kind) = kind {
        privilege_bits(change.privileges, kind, change.as_sequence).map_err(|e| {
            // PostgreSQL names the kind as the statement did.
            let word = match objects {
                GrantObjects::Procedures(_) | GrantObjects::AllProceduresInSchema { .. } => {
                    "procedure"
                }
                GrantObjects::Routines(_) | GrantObjects::AllRoutinesInSchema { .. } => "routine",
                _ => return e,
            };
            PgError {
                message: e.message.replace("for function", &format!("for {word}")),
                ..e
            }
        })?;
    }
    match objects {
        GrantObjects::Tables(names) => {
            for n in names {
                relation(session, n, change, false)?;
            }
        }
        GrantObjects::Sequences(names) => {
            for n in names {
                relation(session, n, change, true)?;
            }
        }
        GrantObjects::AllTablesInSchema { schemas }
        | GrantObjects::AllSequencesInSchema { schemas } => {
            let sequences = matches!(objects, GrantObjects::AllSequencesInSchema { .. });
            for s in schemas {
                let (_, schema) = split_name(s)?;
                let Some(ns) = relcache::namespace_oid(session, &schema)? else {
                    return Err(schema_missing(&schema));
                };
                let rels = with_reader(session, |r| r.relations_in(ns))?;
                for (oid, _, kind) in rels {
                    let wanted = if sequences {
                        kind == 'S'
                    } else {
                        matches!(kind, 'r' | 'v' | 'm' | 'f' | 'p')
                    };
                    if wanted {
                        relation_oid(session, oid, change, sequences)?;
                    }
                }
            }
        }
        GrantObjects::Schemas(names) => {
            for n in names {
                schema(session, n, change)?;
            }
        }
        GrantObjects::Databases(names) => {
            for n in names {
                database(session, n, change)?;
            }
        }
        GrantObjects::Functions(descs)
        | GrantObjects::Procedures(descs)
        | GrantObjects::Routines(descs) => {
            let kind = match objects {
                GrantObjects::Functions(_) => super::function::RoutineKind::Function,
                GrantObjects::Procedures(_) => super::function::RoutineKind::Procedure,
                _ => super::function::RoutineKind::Routine,
            };
            for desc in descs {
                let parts: Vec<String> = desc
                    .name
                    .0
                    .iter()
                    .map(|p| p.as_ident().map_or_else(|| p.to_string(), ident))
                    .collect();
                let (tid, row) = super::function::lookup_routine(session, desc, &parts, kind)?;
                routine(session, tid, row, change)?;
            }
        }
        GrantObjects::AllFunctionsInSchema { schemas }
        | GrantObjects::AllProceduresInSchema { schemas }
        | GrantObjects::AllRoutinesInSchema { schemas } => {
            let wanted = |k: char| match objects {
                GrantObjects::AllFunctionsInSchema { .. } => k != 'p',
                GrantObjects::AllProceduresInSchema { .. } => k == 'p',
                _ => true,
            };
            for s in schemas {
                let (_, schema) = split_name(s)?;
                let Some(ns) = relcache::namespace_oid(session, &schema)? else {
                    return Err(schema_missing(&schema));
                };
                let mut rows = with_reader(session, |r| {
                    let mut out = Vec::new();
                    r.scan(&catalog::system::PG_PROC_DEF, |tid, d| {
                        let row = catalog::system::ProcRow::from_datums(&d);
                        if row.namespace == ns && wanted(row.kind) {
                            out.push((tid, row));
                        }
                        Ok(true)
                    })?;
                    Ok(out)
                })?;
                rows.sort_by_key(|(_, r)| r.oid);
                for (tid, row) in rows {
                    routine(session, tid, row, change)?;
                }
            }
        }
        other => {
            let text = other.to_string();
            let word = text.split_whitespace().next().unwrap_or("");
            return Err(PgError::feature_not_supported(format!(
                "GRANT and REVOKE on {word}"
            )));
        }
    }
    Ok(())
}

fn schema_missing(name: &str) -> PgError {
    PgError::new(
        SqlState::InvalidSchemaName,
        format!("schema \"{name}\" does not exist"),
    )
}

fn relation(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
    change: &Change<'_>,
    sequence: bool,
) -> PgResult<()> {
    let (schema, relname) = split_name(name)?;
    let rel =
        relcache::lookup_relation(session, schema.as_deref(), &relname)?.ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{relname}\" does not exist"),
            )
        })?;
    if sequence && rel.kind != 'S' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a sequence"),
        ));
    }
    relation_oid(session, rel.oid, change, sequence)
}

fn relation_oid(
    session: &mut Session,
    oid: u32,
    change: &Change<'_>,
    _sequence: bool,
) -> PgResult<()> {
    crate::xact::lock_relation(session, oid, storage::lmgr::LockMode::RowExclusive)?;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Ok(());
    };
    if class.kind == 'i' || class.kind == 'I' || class.kind == 'c' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{}\" is not a table, view, or sequence", class.name),
        ));
    }
    let graph = RoleGraph::load(session)?;
    let kind = crate::acl::relation_kind(class.kind);
    let word = crate::acl::relation_word(class.kind);
    let columns = column_privileges(change.privileges);
    let table_bits = privilege_bits(change.privileges, kind, change.as_sequence)?;
    if !columns.is_empty() || (!change.is_grant && table_bits != 0) {
        change_column_acls(session, &graph, change, &class, &columns, table_bits)?;
    }
    if table_bits == 0 && !matches!(change.privileges, Privileges::All { .. }) {
        return Ok(());
    }
    let acl = change_acl(
        session,
        &graph,
        change,
        kind,
        class.owner,
        class.acl.as_deref(),
        word,
        &class.name.clone(),
    )?;
    class.acl = Some(acl);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    crate::xact::command_counter_increment(session)
}

/// GRANT / REVOKE on columns (`attacl`): `columns` are the privileges given
/// with a column list; a REVOKE of table privileges `table_bits` takes them
/// from every column too, as PostgreSQL does.
fn change_column_acls(
    session: &mut Session,
    graph: &RoleGraph,
    change: &Change<'_>,
    class: &catalog::system::ClassRow,
    columns: &[(String, u32)],
    table_bits: u32,
) -> PgResult<()> {
    let attrs = with_reader(session, |r| r.attributes(class.oid))?;
    for (name, _) in columns {
        if !attrs.iter().any(|(_, a)| &a.name == name && !a.dropped) {
            return Err(PgError::new(
                SqlState::UndefinedColumn,
                format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    class.name
                ),
            ));
        }
    }
    let me = session.user_oid;
    let owner_name = graph.name_of(class.owner);
    let grantor = if session.is_superuser || graph.has_privs_of(me, class.owner) {
        owner_name
    } else {
        let table = acl::from_texts(
            class.acl.as_deref(),
            crate::acl::relation_kind(class.kind),
            &owner_name,
        );
        let (_, opts) = crate::acl::acl_mask(graph, me, class.owner, &table);
        let wanted = columns.iter().fold(0, |b, (_, bit)| b | bit);
        if opts & wanted != wanted {
            return Err(crate::acl::permission_denied(
                crate::acl::relation_word(class.kind),
                &class.name,
            ));
        }
        session.user.clone()
    };
    let db = session.database_oid;
    for (tid, mut attr) in attrs {
        let mut bits: u32 = columns
            .iter()
            .filter(|(n, _)| *n == attr.name)
            .fold(0, |b, (_, bit)| b | bit);
        if !change.is_grant {
            bits |= table_bits;
        }
        if bits == 0 || attr.dropped || (!change.is_grant && attr.acl.is_none()) {
            continue;
        }
        let mut items: Vec<AclItem> = acl::from_texts(
            Some(attr.acl.as_deref().unwrap_or(&[])),
            ObjectKind::Table,
            "",
        );
        for grantee in &change.grantees {
            if change.is_grant {
                acl::grant(&mut items, grantee, &grantor, bits, change.grant_option);
            } else {
                acl::revoke(&mut items, grantee, &grantor, bits, change.grant_option);
            }
        }
        // A column left with nothing has no ACL of its own again.
        attr.acl = (!items.is_empty()).then(|| acl::to_texts(&items));
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_attribute(tid, &attr, w)
        })?;
    }
    crate::xact::command_counter_increment(session)
}

fn schema(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
    change: &Change<'_>,
) -> PgResult<()> {
    let (_, schema) = split_name(name)?;
    let Some(oid) = relcache::namespace_oid(session, &schema)? else {
        return Err(schema_missing(&schema));
    };
    let Some((tid, row)) = with_reader(session, |r| r.namespace_full(oid))? else {
        return Err(schema_missing(&schema));
    };
    let (nspname, owner, stored) = (row.name, row.owner, row.acl);
    let graph = RoleGraph::load(session)?;
    let acl = change_acl(
        session,
        &graph,
        change,
        ObjectKind::Schema,
        owner,
        stored.as_deref(),
        "schema",
        &nspname,
    )?;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_namespace(
            w,
            tid,
            (oid, &nspname, owner),
            &Some(acl),
        )
    })?;
    crate::xact::command_counter_increment(session)
}

fn database(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
    change: &Change<'_>,
) -> PgResult<()> {
    let (_, dbname) = split_name(name)?;
    let Some((tid, mut row)) = with_reader(session, |r| r.database(&dbname))? else {
        return Err(PgError::new(
            SqlState::InvalidCatalogName,
            format!("database \"{dbname}\" does not exist"),
        ));
    };
    let graph = RoleGraph::load(session)?;
    let stored = (!row.acl.is_empty()).then(|| row.acl.clone());
    row.acl = change_acl(
        session,
        &graph,
        change,
        ObjectKind::Database,
        row.owner,
        stored.as_deref(),
        "database",
        &dbname,
    )?;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: 0 }.update_database(w, tid, &row)
    })?;
    crate::xact::command_counter_increment(session)
}

/// GRANT / REVOKE on one function or procedure (`proacl`).
fn routine(
    session: &mut Session,
    tid: storage::page::ItemPointer,
    mut row: catalog::system::ProcRow,
    change: &Change<'_>,
) -> PgResult<()> {
    let graph = RoleGraph::load(session)?;
    let what = match row.kind {
        'p' => "procedure",
        _ => "function",
    };
    let name = row.name.clone();
    let acl = change_acl(
        session,
        &graph,
        change,
        ObjectKind::Function,
        row.owner,
        row.acl.as_deref(),
        what,
        &name,
    )?;
    row.acl = Some(acl);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_function(tid, &row, w)
    })?;
    crate::xact::command_counter_increment(session)
}

/// `GRANT | REVOKE ... ON TYPE | DOMAIN | LANGUAGE names ...`, which
/// arrives as text (`syntax::TextStatement::GrantOnType`): the object
/// kind's word becomes TABLE for sqlparser to read the rest.
pub(crate) fn grant_on_type(session: &mut Session, text: &str) -> PgResult<Outcome> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut tokens = Tokenizer::new(&dialect, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    let is_word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let sig: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    let mut kind_word = String::new();
    for w in sig.windows(2) {
        if is_word(&tokens[w[0]], "on")
            && ["type", "domain", "language"]
                .iter()
                .any(|k| is_word(&tokens[w[1]], k))
        {
            kind_word = tokens[w[1]].to_string().to_lowercase();
            tokens[w[1]] = Token::make_keyword("TABLE");
            break;
        }
        // FOREIGN DATA WRAPPER | FOREIGN SERVER
        if is_word(&tokens[w[0]], "on") && is_word(&tokens[w[1]], "foreign") {
            let rest: Vec<usize> = sig.iter().copied().filter(|&i| i > w[1]).take(2).collect();
            let blank = |tokens: &mut Vec<Token>, i: usize| {
                tokens[i] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
            };
            match rest.as_slice() {
                [d, wr] if is_word(&tokens[*d], "data") && is_word(&tokens[*wr], "wrapper") => {
                    kind_word = "foreign data wrapper".into();
                    blank(&mut tokens, *d);
                    blank(&mut tokens, *wr);
                }
                [srv, ..] if is_word(&tokens[*srv], "server") => {
                    kind_word = "foreign server".into();
                    blank(&mut tokens, *srv);
                }
                _ => return Err(PgError::syntax("syntax error at or near \"FOREIGN\"", None)),
            }
            tokens[w[1]] = Token::make_keyword("TABLE");
            break;
        }
    }
    let sql: String = tokens.iter().map(|t| t.to_string()).collect();
    let stmts = crate::syntax::parse(&sql)?;
    let (is_grant, objects, privileges, grantees, option, cascade, granted_by) =
        match stmts.as_slice() {
            [sqlparser::ast::Statement::Grant(g)] => (
                true,
                &g.objects,
                &g.privileges,
                &g.grantees,
                g.with_grant_option,
                false,
                g.granted_by.as_ref(),
            ),
            [sqlparser::ast::Statement::Revoke(r)] => (
                false,
                &r.objects,
                &r.privileges,
                &r.grantees,
                r.grant_option_for,
                matches!(r.cascade, Some(sqlparser::ast::CascadeOption::Cascade)),
                r.granted_by.as_ref(),
            ),
            _ => return Err(PgError::syntax("syntax error at or near \"ON\"", None)),
        };
    let tag = if is_grant { "GRANT" } else { "REVOKE" };
    crate::xact::check_writable(session, tag)?;
    check_grantor(session, granted_by)?;
    let Some(GrantObjects::Tables(names)) = objects else {
        return Err(PgError::syntax("syntax error at or near \"ON\"", None));
    };
    let change = Change {
        is_grant,
        privileges,
        grantees: grantee_list(session, grantees)?,
        grant_option: option,
        cascade,
        as_sequence: false,
    };
    let kind = match kind_word.as_str() {
        "language" => ObjectKind::Language,
        "foreign data wrapper" => ObjectKind::ForeignDataWrapper,
        "foreign server" => ObjectKind::ForeignServer,
        _ => ObjectKind::Type,
    };
    privilege_bits(privileges, kind, false).map_err(|e| PgError {
        // PostgreSQL names the kind as the statement did (a domain).
        message: e.message.replace("for type", &format!("for {kind_word}")),
        ..e
    })?;
    for name in names {
        if matches!(
            kind,
            ObjectKind::ForeignDataWrapper | ObjectKind::ForeignServer
        ) {
            foreign_acl(session, name, &change, kind)?;
        } else if kind == ObjectKind::Language {
            language(session, name, &change)?;
        } else {
            type_acl(session, name, &change, kind_word == "domain")?;
        }
    }
    Ok(Outcome::Command(tag.into()))
}

/// GRANT / REVOKE on a foreign-data wrapper (`fdwacl`) or foreign server
/// (`srvacl`).
fn foreign_acl(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
    change: &Change<'_>,
    kind: ObjectKind,
) -> PgResult<()> {
    let (_, object) = split_name(name)?;
    let server = kind == ObjectKind::ForeignServer;
    let (_, owner, stored) = super::foreigncmds::acl_target(session, server, &object)?;
    let graph = RoleGraph::load(session)?;
    let what = if server {
        "foreign server"
    } else {
        "foreign-data wrapper"
    };
    let acl = change_acl(
        session,
        &graph,
        change,
        kind,
        owner,
        stored.as_deref(),
        what,
        &object,
    )?;
    super::foreigncmds::set_acl(session, server, &object, acl)?;
    crate::xact::command_counter_increment(session)
}

/// GRANT / REVOKE on a type or domain (`typacl`).
fn type_acl(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
    change: &Change<'_>,
    as_domain: bool,
) -> PgResult<()> {
    let (found, tname) = super::typecmds::find_type(session, name)?;
    let oid = match found {
        super::typecmds::Named::User((_, row, _)) => row.oid,
        super::typecmds::Named::Builtin(oid) | super::typecmds::Named::Array(oid) => oid,
        super::typecmds::Named::Missing => {
            return Err(super::typecmds::undefined_type(&tname));
        }
    };
    let Some((tid, mut datums)) = crate::acl::type_row(session, oid)? else {
        return Err(super::typecmds::undefined_type(&tname));
    };
    let row = crate::acl::TypeAclRow::from_datums(&datums);
    if row.elem != 0 && row.typlen == -1 && row.typtype == 'b' {
        return Err(PgError::new(
            SqlState::InvalidGrantOperation,
            "cannot set privileges of array types",
        )
        .with_hint("Set the privileges of the element type instead."));
    }
    if as_domain && row.typtype != 'd' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{}\" is not a domain", row.name),
        ));
    }
    let graph = RoleGraph::load(session)?;
    let what = if row.typtype == 'd' { "domain" } else { "type" };
    let acl = change_acl(
        session,
        &graph,
        change,
        ObjectKind::Type,
        row.owner,
        row.acl.as_deref(),
        what,
        &row.name,
    )?;
    datums[crate::acl::TYPACL] = catalog::system::acl_datum(&Some(acl));
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_type(tid, &datums, w)
    })?;
    crate::xact::command_counter_increment(session)
}

/// GRANT / REVOKE on a procedural language (`lanacl`).
fn language(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
    change: &Change<'_>,
) -> PgResult<()> {
    let (_, lanname) = split_name(name)?;
    let Some((tid, mut datums)) = crate::acl::language_row(session, &lanname)? else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!("language \"{lanname}\" does not exist"),
        ));
    };
    let trusted = matches!(datums.get(4), Some(types::Datum::Bool(true)));
    if !trusted {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("language \"{lanname}\" is not trusted"),
        )
        .with_detail("GRANT and REVOKE are not allowed on untrusted languages, because only superusers can use untrusted languages."));
    }
    let owner = match datums.get(2) {
        Some(types::Datum::Oid(o)) => *o,
        _ => catalog::role::BOOTSTRAP_SUPERUSER_OID,
    };
    let stored = crate::acl::texts_of(datums.get(8));
    let graph = RoleGraph::load(session)?;
    let acl = change_acl(
        session,
        &graph,
        change,
        ObjectKind::Language,
        owner,
        stored.as_deref(),
        "language",
        &lanname,
    )?;
    datums[8] = catalog::system::acl_datum(&Some(acl));
    let db = session.database_oid;
    let def = crate::acl::language_def();
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.replace_row(def, tid, &datums, w)
    })?;
    crate::xact::command_counter_increment(session)
}
