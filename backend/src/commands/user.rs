//! CREATE ROLE, ALTER ROLE and DROP ROLE over `pg_authid` (PostgreSQL's
//! `user.c`), with passwords stored as SCRAM-SHA-256 or md5 verifiers.

use sqlparser::ast::ObjectName;

use catalog::heap_catalog::CatalogWriter;
use storage::lmgr::{LockMode, LockTag};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

/// The stored form of a password (PostgreSQL's `encrypt_password`): a
/// verifier given as such is kept, anything else is hashed as
/// password_encryption says.
pub(crate) fn password_verifier(session: &Session, role: &str, password: &str) -> String {
    if protocol::password::ScramVerifier::parse(password).is_some()
        || (password.len() == 35
            && password.starts_with("md5")
            && password[3..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return password.to_owned();
    }
    match session
        .settings
        .show("password_encryption")
        .unwrap_or_default()
        .as_str()
    {
        "md5" => protocol::password::md5_verifier(password, role),
        _ => protocol::password::ScramVerifier::new(password).to_string(),
    }
}

pub(crate) fn constant_text(e: &sqlparser::ast::Expr) -> PgResult<String> {
    use sqlparser::ast::{Expr, Value};
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::DollarQuotedString(sqlparser::ast::DollarQuotedString { value: s, .. }) => {
                Ok(s.clone())
            }
            Value::Number(n, _) => Ok(n.clone()),
            other => Err(PgError::syntax(
                format!("syntax error at or near \"{other}\""),
                None,
            )),
        },
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => Ok(format!("-{}", constant_text(expr)?)),
        other => Err(PgError::syntax(
            format!("syntax error at or near \"{other}\""),
            None,
        )),
    }
}

/// Applies role options (CREATE ROLE's and ALTER ROLE's) to a row.
pub(crate) fn apply_role_options(
    session: &Session,
    row: &mut catalog::system::AuthidRow,
    opts: &[sqlparser::ast::RoleOption],
) -> PgResult<()> {
    use sqlparser::ast::{Password, RoleOption as O};
    for o in opts {
        match o {
            O::SuperUser(b) => row.superuser = *b,
            O::Inherit(b) => row.inherit = *b,
            O::CreateRole(b) => row.create_role = *b,
            O::CreateDB(b) => row.create_db = *b,
            O::Login(b) => row.can_login = *b,
            O::Replication(b) => row.replication = *b,
            O::BypassRLS(b) => row.bypass_rls = *b,
            O::ConnectionLimit(e) => {
                row.conn_limit = constant_text(e)?.parse().map_err(|_| {
                    PgError::new(SqlState::InvalidParameterValue, "invalid connection limit")
                })?;
            }
            O::Password(Password::NullPassword) => row.password = None,
            O::Password(Password::Password(e)) => {
                let text = constant_text(e)?;
                // An empty password clears it (the caller adds PostgreSQL's NOTICE).
                row.password =
                    (!text.is_empty()).then(|| password_verifier(session, &row.name, &text));
            }
            O::ValidUntil(_) => return Err(PgError::feature_not_supported("VALID UNTIL")),
        }
    }
    Ok(())
}

pub(crate) fn require_createrole(session: &mut Session, what: &str) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let me = session.user.clone();
    let can = with_reader(session, |r| r.role(&me))?.is_some_and(|(_, r)| r.create_role);
    if can {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied to {what} role"),
        ))
    }
}

pub(crate) fn role_lock(name: &str) -> LockTag {
    LockTag::Object {
        db: 0,
        class_oid: catalog::system::PG_AUTHID,
        obj_oid: name_hash(0, name),
        sub_id: 0,
    }
}

/// CREATE ROLE / CREATE USER / CREATE GROUP.
pub(crate) fn create_role(
    session: &mut Session,
    cr: &sqlparser::ast::CreateRole,
) -> PgResult<Outcome> {
    use sqlparser::ast::{Password, RoleOption as O};
    crate::xact::check_writable(session, "CREATE ROLE")?;
    require_createrole(session, "create")?;
    let mut opts = Vec::new();
    let flags = [
        (cr.superuser, O::SuperUser as fn(bool) -> O),
        (cr.inherit, O::Inherit),
        (cr.create_role, O::CreateRole),
        (cr.create_db, O::CreateDB),
        (cr.replication, O::Replication),
        (cr.bypassrls, O::BypassRLS),
    ];
    for (v, f) in flags {
        if let Some(b) = v {
            opts.push(f(b));
        }
    }
    // CREATE ROLE does not log in unless told (CREATE USER would).
    opts.push(O::Login(cr.login.unwrap_or(false)));
    if let Some(p) = &cr.password {
        opts.push(O::Password(p.clone()));
    }
    if let Some(l) = &cr.connection_limit {
        opts.push(O::ConnectionLimit(l.clone()));
    }
    if cr.valid_until.is_some() {
        return Err(PgError::feature_not_supported("VALID UNTIL"));
    }
    let empty_password = matches!(&cr.password, Some(Password::Password(e)) if constant_text(e).is_ok_and(|t| t.is_empty()));
    for n in &cr.names {
        let (_, name) = split_name(n)?;
        if name.starts_with("pg_") {
            return Err(PgError::new(
                SqlState::ReservedName,
                format!("role name \"{name}\" is reserved"),
            )
            .with_detail("Role names starting with \"pg_\" are reserved."));
        }
        crate::xact::lock(session, role_lock(&name), LockMode::AccessExclusive, false)?;
        if with_reader(session, |r| r.role(&name))?.is_some() {
            if cr.if_not_exists {
                session.notice("42710", format!("role \"{name}\" already exists, skipping"));
                continue;
            }
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("role \"{name}\" already exists"),
            ));
        }
        crate::xact::ensure_xid(session)?;
        let oid = session.storage.transam.new_oid()?;
        let mut row = catalog::system::AuthidRow::new(oid, name);
        apply_role_options(session, &mut row, &opts)?;
        if empty_password {
            session.notice(
                "00000",
                "empty string is not a valid password, clearing password",
            );
        }
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: 0 }.create_role(w, &row)
        })?;
        crate::xact::command_counter_increment(session)?;
        // IN ROLE / IN GROUP: the new role joins them; ROLE / USER and
        // ADMIN: they join the new role.
        let names = |v: &[sqlparser::ast::Ident]| v.iter().map(ident_name).collect::<Vec<_>>();
        for r in names(&cr.in_role).into_iter().chain(names(&cr.in_group)) {
            let graph = crate::acl::RoleGraph::load(session)?;
            let parent = graph.require(&r)?.clone();
            require_role_admin(session, &graph, &parent)?;
            add_member(session, &parent, &row, false)?;
        }
        for (list, admin) in [(&cr.role, false), (&cr.user, false), (&cr.admin, true)] {
            for m in names(list) {
                let graph = crate::acl::RoleGraph::load(session)?;
                let member = graph.require(&m)?.clone();
                add_member(session, &row, &member, admin)?;
            }
        }
    }
    Ok(Outcome::Command("CREATE ROLE".into()))
}

/// ALTER ROLE name [WITH] option ...
pub(crate) fn alter_role(
    session: &mut Session,
    name: &sqlparser::ast::Ident,
    op: &sqlparser::ast::AlterRoleOperation,
) -> PgResult<Outcome> {
    use sqlparser::ast::{AlterRoleOperation, Password, RoleOption as O};
    crate::xact::check_writable(session, "ALTER ROLE")?;
    let AlterRoleOperation::WithOptions { options } = op else {
        return Err(PgError::feature_not_supported(format!("ALTER ROLE {op}")));
    };
    let name = if name.quote_style.is_some() {
        name.value.clone()
    } else {
        name.value.to_lowercase()
    };
    // Anyone may change their own password; anything else needs CREATEROLE.
    let own_password_only =
        name == session.user && options.iter().all(|o| matches!(o, O::Password(_)));
    if !own_password_only {
        require_createrole(session, "alter")?;
    }
    crate::xact::lock(session, role_lock(&name), LockMode::AccessExclusive, false)?;
    let Some((tid, mut row)) = with_reader(session, |r| r.role(&name))? else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!("role \"{name}\" does not exist"),
        ));
    };
    apply_role_options(session, &mut row, options)?;
    if options.iter().any(|o| matches!(o, O::Password(Password::Password(e)) if constant_text(e).is_ok_and(|t| t.is_empty()))) {
        session.notice("00000", "empty string is not a valid password, clearing password");
    }
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: 0 }.update_role(tid, &row, w)
    })?;
    Ok(Outcome::Command("ALTER ROLE".into()))
}

/// DROP ROLE [IF EXISTS] name [, ...]
pub(crate) fn drop_roles(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP ROLE")?;
    require_createrole(session, "drop")?;
    for n in names {
        let (_, name) = split_name(n)?;
        crate::xact::lock(session, role_lock(&name), LockMode::AccessExclusive, false)?;
        let Some((tid, row)) = with_reader(session, |r| r.role(&name))? else {
            if if_exists {
                session.notice("00000", format!("role \"{name}\" does not exist, skipping"));
                continue;
            }
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!("role \"{name}\" does not exist"),
            ));
        };
        if name == session.user {
            return Err(PgError::new(
                SqlState::ObjectInUse,
                "current user cannot be dropped",
            ));
        }
        if row.oid == catalog::role::BOOTSTRAP_SUPERUSER_OID
            || catalog::system::PREDEFINED_ROLES
                .iter()
                .any(|(_, o)| *o == row.oid)
        {
            return Err(PgError::new(
                SqlState::ObjectInUse,
                format!("cannot drop role {name} because it is required by the database system"),
            ));
        }
        let dependents = crate::acl::role_dependents(session, &row)?;
        if !dependents.is_empty() {
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!("role \"{name}\" cannot be dropped because some objects depend on it"),
            )
            .with_detail(dependents.join("\n")));
        }
        // Its memberships, both ways, go with it.
        let mut rows = vec![(catalog::system::PG_AUTHID, tid)];
        let role_oid = row.oid;
        rows.extend(with_reader(session, |r| {
            r.description_rows(catalog::system::PG_AUTHID, role_oid, None)
        })?);
        rows.extend(
            with_reader(session, |r| r.auth_members())?
                .into_iter()
                .filter(|(_, m)| m.role == row.oid || m.member == row.oid)
                .map(|(t, _)| (catalog::system::PG_AUTH_MEMBERS, t)),
        );
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: 0 }.delete_rows(&rows, w)
        })?;
    }
    Ok(Outcome::Command("DROP ROLE".into()))
}

/// One role as the session's identity: name, OID, superuser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub oid: u32,
    pub superuser: bool,
}

/// Who the session is (PostgreSQL's `miscinit.c` user IDs):
///
/// ```text
///   login      who authenticated; decides whether SET SESSION AUTHORIZATION
///              may name another role
///   session    session_user: SET SESSION AUTHORIZATION, else the login
///   current    current_user: SET ROLE, else the session user
///              (Session::user / user_oid / is_superuser)
/// ```
///
/// The settings `session_authorization` and `role` hold the names, so that
/// SET LOCAL, RESET and the end of a transaction treat them as any setting;
/// [`sync_authorization`] derives the identities from them before each
/// statement and after each change, from the roles the commands looked up.
#[derive(Debug, Clone, Default)]
pub struct Authorization {
    pub login: Identity,
    pub session: Identity,
    /// Roles named by SET ROLE / SET SESSION AUTHORIZATION in this session.
    pub known: Vec<Identity>,
}

impl Authorization {
    pub fn login(name: &str, oid: u32, superuser: bool) -> Authorization {
        let me = Identity {
            name: name.to_owned(),
            oid,
            superuser,
        };
        Authorization {
            login: me.clone(),
            session: me.clone(),
            known: vec![me],
        }
    }

    fn find(&self, name: &str) -> Option<&Identity> {
        self.known.iter().find(|i| i.name == name)
    }

    fn remember(&mut self, id: Identity) {
        self.known.retain(|i| i.name != id.name);
        self.known.push(id);
    }
}

/// Derives session_user and current_user from the settings
/// `session_authorization` and `role` (see [`Authorization`]).
pub(crate) fn sync_authorization(session: &mut Session) {
    if session.auth.login.oid == 0 {
        // A background process, or before authentication.
        return;
    }
    let auth = &session.auth;
    let sa = session
        .settings
        .show("session_authorization")
        .unwrap_or_default();
    let session_id = auth.find(&sa).unwrap_or(&auth.login).clone();
    let role = session.settings.show("role").unwrap_or_default();
    let current = match auth.find(&role) {
        Some(r) if role != "none" => r.clone(),
        _ => session_id.clone(),
    };
    session.auth.session = session_id;
    session.user = current.name;
    session.user_oid = current.oid;
    session.is_superuser = current.superuser;
}

fn set_action(local: bool) -> types::guc::SetAction {
    if local {
        types::guc::SetAction::Local
    } else {
        types::guc::SetAction::Set
    }
}

/// `SET [SESSION | LOCAL] ROLE name | NONE`, `RESET ROLE` (`name` None).
pub(crate) fn set_role(session: &mut Session, name: Option<&str>, local: bool) -> PgResult<()> {
    let value = match name {
        None | Some("none") => name.map(|_| "none".to_owned()),
        Some(name) => {
            let graph = crate::acl::RoleGraph::load(session)?;
            let Some(row) = graph.by_name(name) else {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("role \"{name}\" does not exist"),
                ));
            };
            let me = session.auth.session.oid;
            if !session.auth.session.superuser && !graph.is_member_of(me, row.oid) {
                return Err(PgError::new(
                    SqlState::InsufficientPrivilege,
                    format!("permission denied to set role \"{name}\""),
                ));
            }
            session.auth.remember(Identity {
                name: row.name.clone(),
                oid: row.oid,
                superuser: row.superuser,
            });
            Some(row.name.clone())
        }
    };
    session.settings.set_option(
        "role",
        value.as_deref(),
        types::guc::GucSource::Session,
        true,
        set_action(local),
    )?;
    sync_authorization(session);
    Ok(())
}

/// `SET [SESSION | LOCAL] SESSION AUTHORIZATION name | DEFAULT`, `RESET
/// SESSION AUTHORIZATION` (`name` None). It also ends a SET ROLE.
pub(crate) fn set_session_authorization(
    session: &mut Session,
    name: Option<&str>,
    local: bool,
) -> PgResult<()> {
    let value = match name {
        None => None,
        Some(name) => {
            let graph = crate::acl::RoleGraph::load(session)?;
            let Some(row) = graph.by_name(name) else {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("role \"{name}\" does not exist"),
                ));
            };
            if row.oid != session.auth.login.oid && !session.auth.login.superuser {
                return Err(PgError::new(
                    SqlState::InsufficientPrivilege,
                    "permission denied to set session authorization",
                ));
            }
            session.auth.remember(Identity {
                name: row.name.clone(),
                oid: row.oid,
                superuser: row.superuser,
            });
            Some(row.name.clone())
        }
    };
    let action = set_action(local);
    for (setting, v) in [
        ("session_authorization", value.as_deref()),
        ("role", Some("none")),
    ] {
        session
            .settings
            .set_option(setting, v, types::guc::GucSource::Session, true, action)?;
    }
    sync_authorization(session);
    Ok(())
}

/// A role name of a GRANT/REVOKE role list (CURRENT_USER and SESSION_USER
/// too), resolved to its row.
fn grantee_role<'g>(
    session: &Session,
    graph: &'g crate::acl::RoleGraph,
    name: &str,
) -> PgResult<&'g AuthidRow> {
    let name = match name {
        "current_user" | "current_role" => session.user.as_str(),
        "session_user" => session.auth.session.name.as_str(),
        other => other,
    };
    graph.require(name)
}

use catalog::system::AuthidRow;

fn ident_name(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// The role names of a grantee list; PUBLIC is refused (roles are granted
/// to roles).
pub(crate) fn grantee_names(grantees: &[sqlparser::ast::Grantee]) -> PgResult<Vec<Option<String>>> {
    use sqlparser::ast::{GranteeName, GranteesType};
    grantees
        .iter()
        .map(|g| match (&g.grantee_type, &g.name) {
            (GranteesType::Public, _) => Ok(None),
            (_, Some(GranteeName::ObjectName(n))) => {
                let (_, name) = split_name(n)?;
                if name == "public" && n.0.len() == 1 && !n.to_string().starts_with('"') {
                    Ok(None)
                } else {
                    Ok(Some(name))
                }
            }
            _ => Err(PgError::feature_not_supported(format!("grantee {g}"))),
        })
        .collect()
}

fn require_role_admin(
    session: &Session,
    graph: &crate::acl::RoleGraph,
    role: &AuthidRow,
) -> PgResult<()> {
    if role.superuser {
        if !session.is_superuser {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                "must be superuser to alter superusers",
            ));
        }
        return Ok(());
    }
    let createrole = graph
        .by_oid(session.user_oid)
        .is_some_and(|r| r.create_role);
    if !createrole && !graph.is_admin_of(session.user_oid, role.oid) {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("must have admin option on role \"{}\"", role.name),
        ));
    }
    Ok(())
}

/// `GRANT role [, ...] TO member [, ...] [WITH ADMIN OPTION]`.
pub(crate) fn grant_role(
    session: &mut Session,
    g: &sqlparser::ast::GrantRole,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "GRANT")?;
    let mut admin = false;
    for o in &g.options {
        let name = o.name.value.to_lowercase();
        let on = !matches!(o.value, sqlparser::ast::RoleGrantOptionValue::False);
        match name.as_str() {
            "admin" => admin = on,
            _ => {
                return Err(PgError::syntax(
                    format!("syntax error at or near \"{}\"", o.name.value),
                    None,
                ));
            }
        }
    }
    if let Some(by) = &g.granted_by
        && ident_name(by) != session.user
        && !session.is_superuser
    {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            "must be superuser to set grantor",
        ));
    }
    let grantees = grantee_names(&g.grantees)?;
    for role in &g.roles {
        let role_name = ident_name(role);
        crate::xact::lock(
            session,
            role_lock(&role_name),
            LockMode::AccessExclusive,
            false,
        )?;
        let graph = crate::acl::RoleGraph::load(session)?;
        let role_row = grantee_role(session, &graph, &role_name)?.clone();
        require_role_admin(session, &graph, &role_row)?;
        for grantee in &grantees {
            let Some(grantee) = grantee else {
                return Err(role_not_found_public());
            };
            let graph = crate::acl::RoleGraph::load(session)?;
            let member = grantee_role(session, &graph, grantee)?.clone();
            add_member(session, &role_row, &member, admin)?;
        }
    }
    Ok(Outcome::Command("GRANT ROLE".into()))
}

/// Makes `member` a member of `role` (PostgreSQL's `AddRoleMems` for one
/// member, permissions checked by the caller).
fn add_member(
    session: &mut Session,
    role_row: &AuthidRow,
    member: &AuthidRow,
    admin: bool,
) -> PgResult<()> {
    let graph = crate::acl::RoleGraph::load(session)?;
    if graph.is_member_nosuper(role_row.oid, member.oid) {
        return Err(PgError::new(
            SqlState::InvalidGrantOperation,
            format!(
                "role \"{}\" is a member of role \"{}\"",
                role_row.name, member.name
            ),
        ));
    }
    let existing = with_reader(session, |r| r.auth_members())?
        .into_iter()
        .find(|(_, m)| m.role == role_row.oid && m.member == member.oid);
    if let Some((_, m)) = &existing
        && (!admin || m.admin_option)
    {
        session.notice(
            "00000",
            format!(
                "role \"{}\" is already a member of role \"{}\"",
                member.name, role_row.name
            ),
        );
        return Ok(());
    }
    let row = catalog::system::AuthMemberRow {
        role: role_row.oid,
        member: member.oid,
        grantor: session.user_oid,
        admin_option: admin,
    };
    let tid = existing.map(|(t, _)| t);
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: 0 }.put_auth_member(w, tid, &row)
    })?;
    crate::xact::command_counter_increment(session)
}

fn role_not_found_public() -> PgError {
    crate::acl::role_not_found("public")
}

/// `REVOKE [ADMIN OPTION FOR] role [, ...] FROM member [, ...]`.
pub(crate) fn revoke_role(
    session: &mut Session,
    r: &sqlparser::ast::RevokeRole,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "REVOKE")?;
    let admin_only = match &r.option_for {
        None => false,
        Some(o) if o.value.eq_ignore_ascii_case("admin") => true,
        Some(o) => {
            return Err(PgError::syntax(
                format!("syntax error at or near \"{}\"", o.value),
                None,
            ));
        }
    };
    let grantees = grantee_names(&r.grantees)?;
    for role in &r.roles {
        let role_name = ident_name(role);
        crate::xact::lock(
            session,
            role_lock(&role_name),
            LockMode::AccessExclusive,
            false,
        )?;
        let graph = crate::acl::RoleGraph::load(session)?;
        let role_row = grantee_role(session, &graph, &role_name)?.clone();
        require_role_admin(session, &graph, &role_row)?;
        for grantee in &grantees {
            let Some(grantee) = grantee else {
                return Err(role_not_found_public());
            };
            let member = grantee_role(session, &graph, grantee)?.clone();
            let existing = with_reader(session, |r| r.auth_members())?
                .into_iter()
                .find(|(_, m)| m.role == role_row.oid && m.member == member.oid);
            let Some((tid, mut row)) = existing else {
                session.warn(
                    "01000",
                    format!(
                        "role \"{}\" is not a member of role \"{}\"",
                        member.name, role_row.name
                    ),
                );
                continue;
            };
            crate::xact::with_write(session, |env, w| {
                let cw = CatalogWriter { env, db_oid: 0 };
                if admin_only {
                    row.admin_option = false;
                    cw.put_auth_member(w, Some(tid), &row)
                } else {
                    cw.delete_rows(&[(catalog::system::PG_AUTH_MEMBERS, tid)], w)
                }
            })?;
            crate::xact::command_counter_increment(session)?;
        }
    }
    Ok(Outcome::Command("REVOKE ROLE".into()))
}

/// `DROP OWNED BY role [, ...] [CASCADE | RESTRICT]` and `REASSIGN OWNED BY
/// role [, ...] TO role` (PostgreSQL's `shdepDropOwned` / `shdepReassignOwned`),
/// over this database's relations and schemas: DROP OWNED drops what the
/// roles own and takes away the privileges granted to them; REASSIGN OWNED
/// gives what they own to the new role.
pub(crate) fn owned(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let words = crate::syntax::words(text)?;
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let reassign = lower.first().is_some_and(|w| w == "reassign");
    let tag = if reassign {
        "REASSIGN OWNED"
    } else {
        "DROP OWNED"
    };
    crate::xact::check_writable(session, tag)?;
    if lower.get(1).map(String::as_str) != Some("owned")
        || lower.get(2).map(String::as_str) != Some("by")
    {
        return Err(PgError::syntax(
            format!(
                "syntax error at or near \"{}\"",
                words.get(1).map_or("", String::as_str)
            ),
            None,
        ));
    }
    let name_of = |w: &str| {
        if let Some(q) = w.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
            q.replace("\"\"", "\"")
        } else {
            w.to_lowercase()
        }
    };
    let mut roles = Vec::new();
    let mut i = 3;
    let mut cascade = false;
    let mut new_owner = None;
    while i < words.len() {
        match lower[i].as_str() {
            "," => {}
            "cascade" if !reassign => cascade = true,
            "restrict" if !reassign => {}
            "to" if reassign => {
                new_owner = words.get(i + 1).map(|w| name_of(w));
                i += 1;
            }
            _ => roles.push(name_of(&words[i])),
        }
        i += 1;
    }
    let graph = crate::acl::RoleGraph::load(session)?;
    let mut rows = Vec::new();
    for r in &roles {
        let name = match r.as_str() {
            "current_user" | "current_role" => session.user.clone(),
            "session_user" => session.auth.session.name.clone(),
            _ => r.clone(),
        };
        let row = graph.require(&name)?.clone();
        if !session.is_superuser && !graph.has_privs_of(session.user_oid, row.oid) {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                if reassign {
                    "permission denied to reassign objects"
                } else {
                    "permission denied to drop objects"
                },
            ));
        }
        rows.push(row);
    }
    if reassign {
        let Some(to) = new_owner else {
            return Err(PgError::syntax("syntax error at end of input", None));
        };
        let to = graph.require(&to)?.clone();
        if !session.is_superuser && !graph.has_privs_of(session.user_oid, to.oid) {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                "permission denied to reassign objects",
            ));
        }
        for row in &rows {
            crate::acl::reassign_owned(session, row, &to)?;
        }
    } else {
        for row in &rows {
            crate::acl::drop_owned(session, row, cascade)?;
        }
    }
    Ok(Outcome::Command(tag.into()))
}
