//! Utility statements that run without the planner: transaction control and
//! SET / SHOW / RESET (PostgreSQL's `standard_ProcessUtility` for these).

use sqlparser::ast::{
    ContextModifier, Expr, Ident, ObjectName, Reset, ResetStatement, Set, Statement,
    TransactionIsolationLevel, TransactionMode, Value,
};
use types::guc::{GucSource, SetAction};
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::{Session, XactState};

/// What a statement produced.
#[derive(Debug)]
pub enum Outcome {
    /// A command without rows and its tag ("SET", "BEGIN", ...).
    Command(String),
    /// Rows with their description and tag.
    Rows {
        columns: Vec<planner::Column>,
        rows: Vec<Vec<Datum>>,
        tag: String,
    },
    /// COPY TO STDOUT: the lines to send as CopyData, then the tag.
    CopyOut {
        columns: usize,
        data: Vec<Vec<u8>>,
        tag: String,
        /// In the binary format (the CopyOutResponse says so).
        binary: bool,
    },
    /// COPY FROM STDIN has begun (its state is `Session::copy_in`): the
    /// statement goes on until the client's CopyDone or CopyFail.
    CopyIn { columns: usize, binary: bool },
}

/// The error for any other statement in a failed transaction block (25P02).
pub fn in_failed_transaction() -> PgError {
    PgError::new(
        SqlState::InFailedSqlTransaction,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

/// True for statements accepted in a failed transaction block.
pub fn allowed_in_failed_block(stmt: &Statement) -> bool {
    matches!(stmt, Statement::Rollback { .. } | Statement::Commit { .. })
}

fn savepoint_name(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// Transaction control. Returns None if `stmt` is not one.
pub fn transaction_control(session: &mut Session, stmt: &Statement) -> Option<PgResult<Outcome>> {
    Some(Ok(match stmt {
        Statement::StartTransaction {
            modes,
            begin,
            statements,
            exception,
            ..
        } => {
            if !statements.is_empty() || exception.is_some() {
                return Some(Err(PgError::feature_not_supported("BEGIN ... END blocks")));
            }
            if session.xact != XactState::Idle {
                session.warn("25001", "there is already a transaction in progress");
            } else {
                session.xact = XactState::InBlock;
            }
            if let Err(e) = apply_transaction_modes(session, modes, "transaction") {
                return Some(Err(e));
            }
            Outcome::Command(if *begin { "BEGIN" } else { "START TRANSACTION" }.into())
        }
        Statement::Commit { chain, .. } => {
            if *chain && session.xact == XactState::Idle {
                return Some(Err(PgError::new(
                    SqlState::NoActiveSqlTransaction,
                    "COMMIT AND CHAIN can only be used in transaction blocks",
                )));
            }
            let kept = chain.then(|| characteristics(session));
            let tag = match session.xact {
                XactState::Idle => {
                    session.warn("25P01", "there is no transaction in progress");
                    "COMMIT"
                }
                XactState::InBlock => {
                    session.xact = XactState::Idle;
                    if let Err(e) = crate::xact::commit(session) {
                        session.settings.abort_transaction();
                        return Some(Err(e));
                    }
                    session.settings.commit_transaction();
                    "COMMIT"
                }
                XactState::Failed => {
                    crate::xact::abort(session);
                    session.settings.abort_transaction();
                    "ROLLBACK"
                }
            };
            session.xact = XactState::Idle;
            if let Some(kept) = kept
                && let Err(e) = chain_transaction(session, &kept)
            {
                return Some(Err(e));
            }
            Outcome::Command(tag.into())
        }
        Statement::Rollback {
            chain,
            savepoint: Some(sp),
        } => {
            if *chain {
                return Some(Err(PgError::feature_not_supported("ROLLBACK AND CHAIN")));
            }
            if session.xact == XactState::Idle {
                return Some(Err(PgError::new(
                    SqlState::NoActiveSqlTransaction,
                    "ROLLBACK TO SAVEPOINT can only be used in transaction blocks",
                )));
            }
            if let Err(e) = crate::xact::rollback_to_savepoint(session, &savepoint_name(sp)) {
                return Some(Err(e));
            }
            session.xact = XactState::InBlock;
            Outcome::Command("ROLLBACK".into())
        }
        Statement::Rollback {
            chain,
            savepoint: None,
        } => {
            if *chain && session.xact == XactState::Idle {
                return Some(Err(PgError::new(
                    SqlState::NoActiveSqlTransaction,
                    "ROLLBACK AND CHAIN can only be used in transaction blocks",
                )));
            }
            let kept = chain.then(|| characteristics(session));
            if session.xact == XactState::Idle {
                session.warn("25P01", "there is no transaction in progress");
            } else {
                crate::xact::abort(session);
                session.settings.abort_transaction();
            }
            session.xact = XactState::Idle;
            if let Some(kept) = kept
                && let Err(e) = chain_transaction(session, &kept)
            {
                return Some(Err(e));
            }
            Outcome::Command("ROLLBACK".into())
        }
        Statement::Savepoint { name } => {
            if session.xact == XactState::Idle {
                return Some(Err(PgError::new(
                    SqlState::NoActiveSqlTransaction,
                    "SAVEPOINT can only be used in transaction blocks",
                )));
            }
            crate::xact::savepoint(session, &savepoint_name(name));
            Outcome::Command("SAVEPOINT".into())
        }
        Statement::ReleaseSavepoint { name } => {
            if session.xact == XactState::Idle {
                return Some(Err(PgError::new(
                    SqlState::NoActiveSqlTransaction,
                    "RELEASE SAVEPOINT can only be used in transaction blocks",
                )));
            }
            if let Err(e) = crate::xact::release_savepoint(session, &savepoint_name(name)) {
                return Some(Err(e));
            }
            Outcome::Command("RELEASE".into())
        }
        _ => return None,
    }))
}

/// The settings a transaction ended AND CHAIN hands to the next one.
const CHAINED: [&str; 3] = [
    "transaction_isolation",
    "transaction_read_only",
    "transaction_deferrable",
];

/// The current transaction's isolation level, access mode and deferrable
/// mode, for [`chain_transaction`].
fn characteristics(session: &Session) -> Vec<(&'static str, String)> {
    CHAINED
        .iter()
        .filter_map(|&name| Some((name, session.settings.show(name).ok()?)))
        .collect()
}

/// COMMIT / ROLLBACK AND CHAIN: a new transaction block right away, with
/// the characteristics of the one that ended.
fn chain_transaction(session: &mut Session, kept: &[(&'static str, String)]) -> PgResult<()> {
    session.xact = XactState::InBlock;
    for (name, value) in kept {
        session.settings.set_option(
            name,
            Some(value),
            GucSource::Session,
            session.is_superuser,
            SetAction::Set,
        )?;
    }
    Ok(())
}

fn isolation_name(level: &TransactionIsolationLevel) -> &'static str {
    match level {
        TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
        TransactionIsolationLevel::ReadCommitted => "read committed",
        TransactionIsolationLevel::RepeatableRead => "repeatable read",
        TransactionIsolationLevel::Serializable => "serializable",
        TransactionIsolationLevel::Snapshot => "snapshot",
    }
}

fn apply_transaction_modes(
    session: &mut Session,
    modes: &[TransactionMode],
    scope: &str,
) -> PgResult<()> {
    use sqlparser::ast::TransactionAccessMode;
    let started = scope == "transaction" && session.tx.first_snapshot_taken;
    for m in modes {
        match m {
            TransactionMode::IsolationLevel(_) if started => {
                return Err(PgError::new(
                    SqlState::ActiveSqlTransaction,
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                ));
            }
            TransactionMode::AccessMode(TransactionAccessMode::ReadWrite)
                if started
                    && session
                        .settings
                        .show("transaction_read_only")
                        .unwrap_or_default()
                        == "on" =>
            {
                return Err(PgError::new(
                    SqlState::ActiveSqlTransaction,
                    "transaction read-write mode must be set before any query",
                ));
            }
            _ => {}
        }
        let (name, value) = match m {
            TransactionMode::IsolationLevel(l) => {
                (format!("{scope}_isolation"), isolation_name(l).to_owned())
            }
            TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => {
                (format!("{scope}_read_only"), "on".into())
            }
            TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => {
                (format!("{scope}_read_only"), "off".into())
            }
        };
        let name = if scope == "transaction" {
            name
        } else {
            format!("default_{name}")
        };
        session.settings.set_option(
            &name,
            Some(&value),
            GucSource::Session,
            session.is_superuser,
            SetAction::Set,
        )?;
    }
    Ok(())
}

/// The text PostgreSQL's SET would receive for one value expression.
pub(crate) fn value_text(e: &Expr) -> PgResult<String> {
    Ok(match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::EscapedStringLiteral(s) => s.clone(),
            Value::Number(n, _) => n.to_string(),
            Value::Boolean(b) => if *b { "on" } else { "off" }.into(),
            other => return Err(PgError::feature_not_supported(format!("SET value {other}"))),
        },
        Expr::Identifier(Ident {
            value, quote_style, ..
        }) => {
            if quote_style.is_some() {
                value.clone()
            } else {
                value.to_lowercase()
            }
        }
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => format!("-{}", value_text(expr)?),
        other => {
            return Err(PgError::syntax(
                format!("syntax error at or near \"{other}\""),
                None,
            ));
        }
    })
}

fn is_default(values: &[Expr]) -> bool {
    matches!(values, [Expr::Identifier(Ident { value, quote_style: None, .. })] if value.eq_ignore_ascii_case("default"))
}

pub(crate) fn object_name_text(n: &ObjectName) -> String {
    n.0.iter()
        .map(|p| p.to_string().trim_matches('"').to_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// SET / RESET / SHOW. Returns None if `stmt` is none of them.
pub fn settings_statement(session: &mut Session, stmt: &Statement) -> Option<PgResult<Outcome>> {
    let superuser = session.is_superuser;
    let result = match stmt {
        Statement::Set(set) => match set {
            Set::SingleAssignment {
                scope,
                variable,
                values,
                ..
            } => {
                let name = object_name_text(variable);
                let local = matches!(scope, Some(ContextModifier::Local));
                if local && session.xact == XactState::Idle && !session.implicit_block {
                    session.warn("25P01", "SET LOCAL can only be used in transaction blocks");
                }
                if name == "role" || name == "session_authorization" {
                    let value = if is_default(values) {
                        None
                    } else {
                        match values.iter().map(value_text).collect::<PgResult<Vec<_>>>() {
                            Ok(v) => Some(v.join(",")),
                            Err(e) => return Some(Err(e)),
                        }
                    };
                    let r = if name == "role" {
                        crate::commands::user::set_role(session, value.as_deref(), local)
                    } else {
                        crate::commands::user::set_session_authorization(
                            session,
                            value.as_deref(),
                            local,
                        )
                    };
                    return Some(r.map(|_| Outcome::Command("SET".into())));
                }
                let action = if local {
                    SetAction::Local
                } else {
                    SetAction::Set
                };
                if is_default(values) {
                    session
                        .settings
                        .set_option(&name, None, GucSource::Session, superuser, action)
                        .map(|_| Outcome::Command("SET".into()))
                } else {
                    values
                        .iter()
                        .map(value_text)
                        .collect::<PgResult<Vec<_>>>()
                        .and_then(|v| {
                            types::guc::flatten_set_args(
                                &name,
                                &v.iter().map(String::as_str).collect::<Vec<_>>(),
                            )
                        })
                        .and_then(|v| {
                            session.settings.set_option(
                                &name,
                                Some(&v),
                                GucSource::Session,
                                superuser,
                                action,
                            )
                        })
                        .map(|_| Outcome::Command("SET".into()))
                }
            }
            Set::SetTimeZone { local, value } => {
                let v = match value {
                    Expr::Identifier(Ident {
                        value,
                        quote_style: None,
                        ..
                    }) if value.eq_ignore_ascii_case("local")
                        || value.eq_ignore_ascii_case("default") =>
                    {
                        None
                    }
                    Expr::Interval(_) => {
                        return Some(Err(PgError::feature_not_supported(
                            "SET TIME ZONE INTERVAL",
                        )));
                    }
                    other => match value_text(other) {
                        Ok(v) => Some(v),
                        Err(e) => return Some(Err(e)),
                    },
                };
                let action = if *local {
                    SetAction::Local
                } else {
                    SetAction::Set
                };
                session
                    .settings
                    .set_option(
                        "TimeZone",
                        v.as_deref(),
                        GucSource::Session,
                        superuser,
                        action,
                    )
                    .map(|_| Outcome::Command("SET".into()))
            }
            Set::SetNames { charset_name, .. } => session
                .settings
                .set(
                    "client_encoding",
                    &charset_name.value,
                    GucSource::Session,
                    superuser,
                )
                .map(|_| Outcome::Command("SET".into())),
            Set::SetNamesDefault {} => session
                .settings
                .reset("client_encoding", superuser)
                .map(|_| Outcome::Command("SET".into())),
            Set::SetRole {
                context_modifier,
                role_name,
            } => {
                let local = matches!(context_modifier, Some(ContextModifier::Local));
                let name = role_name.as_ref().map(|i| {
                    if i.quote_style.is_some() {
                        i.value.clone()
                    } else {
                        i.value.to_lowercase()
                    }
                });
                let name = name.unwrap_or_else(|| "none".into());
                crate::commands::user::set_role(session, Some(&name), local)
                    .map(|_| Outcome::Command("SET".into()))
            }
            Set::SetSessionAuthorization(p) => {
                use sqlparser::ast::SetSessionAuthorizationParamKind as K;
                let local = matches!(p.scope, ContextModifier::Local);
                let name = match &p.kind {
                    K::Default => None,
                    K::User(i) => Some(if i.quote_style.is_some() {
                        i.value.clone()
                    } else {
                        i.value.to_lowercase()
                    }),
                };
                crate::commands::user::set_session_authorization(session, name.as_deref(), local)
                    .map(|_| Outcome::Command("SET".into()))
            }
            Set::SetTransaction {
                modes,
                snapshot,
                session: is_session,
            } => {
                if snapshot.is_some() {
                    return Some(Err(PgError::feature_not_supported(
                        "SET TRANSACTION SNAPSHOT",
                    )));
                }
                if !*is_session && session.xact == XactState::Idle {
                    session.warn(
                        "25P01",
                        "SET TRANSACTION can only be used in transaction blocks",
                    );
                }
                apply_transaction_modes(
                    session,
                    modes,
                    if *is_session {
                        "session"
                    } else {
                        "transaction"
                    },
                )
                .map(|_| Outcome::Command("SET".into()))
            }
            other => Err(PgError::feature_not_supported(first_words(
                &other.to_string(),
            ))),
        },
        Statement::Reset(ResetStatement { reset }) => match reset {
            Reset::ALL => {
                session.settings.reset_all();
                Ok(Outcome::Command("RESET".into()))
            }
            Reset::ConfigurationParameter(name) if object_name_text(name) == "role" => {
                crate::commands::user::set_role(session, None, false)
                    .map(|_| Outcome::Command("RESET".into()))
            }
            Reset::ConfigurationParameter(name)
                if object_name_text(name) == "session_authorization" =>
            {
                crate::commands::user::set_session_authorization(session, None, false)
                    .map(|_| Outcome::Command("RESET".into()))
            }
            Reset::ConfigurationParameter(name) => session
                .settings
                .reset(&object_name_text(name), superuser)
                .map(|_| Outcome::Command("RESET".into())),
            Reset::SessionAuthorization => {
                crate::commands::user::set_session_authorization(session, None, false)
                    .map(|_| Outcome::Command("RESET".into()))
            }
        },
        Statement::ShowVariable { variable } => {
            let words: Vec<String> = variable
                .iter()
                .map(|i| {
                    if i.quote_style.is_some() {
                        i.value.clone()
                    } else {
                        i.value.to_lowercase()
                    }
                })
                .collect();
            let joined = words.join(" ");
            let name = match joined.as_str() {
                "time zone" => "timezone".to_owned(),
                "transaction isolation level" => "transaction_isolation".to_owned(),
                "session authorization" => "session_authorization".to_owned(),
                _ => words.join("."),
            };
            if name == "all" {
                let rows = session
                    .settings
                    .show_all()
                    .into_iter()
                    .map(|(n, v, d)| {
                        vec![
                            Datum::Text(n.to_owned()),
                            Datum::Text(v),
                            Datum::Text(d.to_owned()),
                        ]
                    })
                    .collect::<Vec<_>>();
                let col = |n: &str| planner::Column {
                    name: n.into(),
                    type_oid: types::oid::TEXT,
                    typmod: -1,
                    table_oid: 0,
                    column_id: 0,
                };
                let tag = "SHOW".to_owned();
                Ok(Outcome::Rows {
                    columns: vec![col("name"), col("setting"), col("description")],
                    rows,
                    tag,
                })
            } else {
                session.settings.show(&name).map(|v| {
                    let col_name = types::guc::lookup(&name)
                        .map(|d| d.name.to_owned())
                        .unwrap_or(name.clone());
                    Outcome::Rows {
                        columns: vec![planner::Column {
                            name: col_name,
                            type_oid: types::oid::TEXT,
                            typmod: -1,
                            table_oid: 0,
                            column_id: 0,
                        }],
                        rows: vec![vec![Datum::Text(v)]],
                        tag: "SHOW".into(),
                    }
                })
            }
        }
        _ => return None,
    };
    Some(result)
}

/// The leading keywords of a statement's text, to name it in a 0A000 report.
pub fn first_words(sql: &str) -> String {
    sql.split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The report for a statement we do not support yet.
pub fn unsupported(stmt: &Statement) -> PgError {
    let words = first_words(&stmt.to_string());
    let name = if words.is_empty() {
        "this statement".to_owned()
    } else {
        words
    };
    PgError::new(
        SqlState::FeatureNotSupported,
        format!("{name} is not supported yet"),
    )
}
