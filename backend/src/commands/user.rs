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
    if !cr.in_role.is_empty()
        || !cr.in_group.is_empty()
        || !cr.role.is_empty()
        || !cr.user.is_empty()
        || !cr.admin.is_empty()
    {
        return Err(PgError::feature_not_supported(
            "role membership (IN ROLE, ROLE, ADMIN)",
        ));
    }
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
        if row.oid == catalog::role::BOOTSTRAP_SUPERUSER_OID {
            return Err(PgError::new(
                SqlState::ObjectInUse,
                format!("cannot drop role {name} because it is required by the database system"),
            ));
        }
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: 0 }.delete_rows(&[(catalog::system::PG_AUTHID, tid)], w)
        })?;
    }
    Ok(Outcome::Command("DROP ROLE".into()))
}
