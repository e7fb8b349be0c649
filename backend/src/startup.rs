//! Connection start-up: the startup packet, pg_hba.conf, authentication, the
//! checks that follow it, and the parameters the client is told about. Also the
//! CancelRequest path, which a new connection uses to reach another backend.

use std::collections::HashMap;
use std::fmt::Debug;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::cleartext::CleartextPasswordAuth;
use pgwire::api::auth::driver::AuthOutcome;
use pgwire::api::auth::md5pass::Md5PasswordAuth;
use pgwire::api::auth::mechanism::AuthMechanismFactory;
use pgwire::api::auth::sasl::SaslMechanisms;
use pgwire::api::auth::sasl::scram::{ScramAuth, ScramSecret};
use pgwire::api::auth::{
    AuthDriver, AuthSource, LoginInfo, Password, ServerParameterProvider, StartupHandler,
};
use pgwire::api::{ClientInfo, PidSecretKeyGenerator};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::SecretKey;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use protocol::hba::{self, AuthMethod, ConnKind};
use storage::shmem::{ProcHandle, SharedMemory};
use types::{PgError, PgResult, SqlState};

use crate::tcop::Tcop;

/// The roles, as read at connection start, for pgwire's mechanisms.
#[derive(Debug)]
struct RoleSource {
    roles: Vec<catalog::role::Role>,
}

impl RoleSource {
    fn verifier(&self, user: &str) -> Option<&str> {
        self.roles
            .iter()
            .find(|r| r.name == user)
            .and_then(|r| r.password.as_deref())
    }
}

fn auth_failed(user: &str) -> PgWireError {
    protocol::error::to_pgwire(&PgError::fatal(
        SqlState::InvalidPassword,
        format!("password authentication failed for user \"{user}\""),
    ))
}

#[async_trait]
impl AuthSource for RoleSource {
    /// For md5: the salt we send and the response we expect to it.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        let salt: [u8; 4] = rand::random();
        // A missing role or password still gets a challenge, so that the reply
        // does not reveal which roles exist; no response can match a random one.
        let expected = self
            .verifier(user)
            .and_then(|v| protocol::password::md5_response(v, &salt))
            .unwrap_or_else(|| format!("md5-none-{}", rand::random::<u64>()));
        Ok(Password::new(Some(salt.to_vec()), expected.into_bytes()))
    }

    async fn verify_password(
        &self,
        login: &LoginInfo,
        presented: &[u8],
    ) -> PgWireResult<Option<()>> {
        let user = login.user().unwrap_or_default();
        let presented = std::str::from_utf8(presented).unwrap_or("");
        match self.verifier(user) {
            Some(v) if protocol::password::verify_cleartext(v, user, presented) => Ok(None),
            _ => Err(auth_failed(user)),
        }
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let user = login.user().unwrap_or_default();
        let v = self
            .verifier(user)
            .and_then(protocol::password::ScramVerifier::parse)
            // Unknown role or no SCRAM verifier: a mock one, so the exchange runs
            // to its end and fails there, as PostgreSQL does.
            .unwrap_or_else(|| {
                protocol::password::ScramVerifier::new(&format!("{}", rand::random::<u128>()))
            });
        Ok((
            ScramSecret::Verifier {
                salt: v.salt,
                iterations: v.iterations as usize,
                stored_key: v.stored_key,
                server_key: v.server_key,
            },
            None,
        ))
    }
}

/// The parameters reported at start-up (PostgreSQL's GUC_REPORT settings).
struct ReportedParameters {
    tcop: Tcop,
}

impl ServerParameterProvider for ReportedParameters {
    fn server_parameters<C: ClientInfo>(&self, _client: &C) -> Option<HashMap<String, String>> {
        // The first call returns every reported setting; later changes go out
        // after the statement that made them.
        let mut s = self.tcop.session();
        Some(
            s.settings
                .changed_reported()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect(),
        )
    }
}

/// BackendKeyData: our real pid and the cancel key stored in the ProcArray.
struct KeyGenerator {
    pid: i32,
    key: i32,
}

impl PidSecretKeyGenerator for KeyGenerator {
    fn generate(&self, _client: &dyn ClientInfo) -> (i32, SecretKey) {
        (self.pid, SecretKey::I32(self.key))
    }
}

/// Drives start-up for one connection.
pub struct Startup {
    tcop: Tcop,
    data_dir: PathBuf,
    kind: ConnKind,
    peer: Option<IpAddr>,
    slot: Mutex<Option<ProcHandle<'static>>>,
    cancel_key: i32,
    driver: AuthDriver<ReportedParameters>,
}

impl Startup {
    pub fn new(
        tcop: Tcop,
        data_dir: PathBuf,
        kind: ConnKind,
        peer: Option<IpAddr>,
        slot: Option<ProcHandle<'static>>,
    ) -> Startup {
        let pid = std::process::id() as i32;
        let cancel_key: i32 = rand::random();
        let driver = AuthDriver::new(ReportedParameters { tcop: tcop.clone() })
            .with_pid_secret_key_generator(Arc::new(KeyGenerator {
                pid,
                key: cancel_key,
            }));
        Startup {
            tcop,
            data_dir,
            kind,
            peer,
            slot: Mutex::new(slot),
            cancel_key,
            driver,
        }
    }

    fn host_description(&self) -> String {
        match (self.kind, self.peer) {
            (ConnKind::Local, _) | (_, None) => "[local]".to_owned(),
            (_, Some(ip)) => ip.to_string(),
        }
    }

    fn encryption(kind: ConnKind) -> &'static str {
        match kind {
            ConnKind::Host { ssl: true } => "SSL encryption",
            _ => "no encryption",
        }
    }

    /// Before authentication: a slot, and the pg_hba.conf method.
    fn choose_method(&self, user: &str, database: &str, secure: bool) -> PgResult<AuthMethod> {
        let kind = match self.kind {
            ConnKind::Host { .. } => ConnKind::Host { ssl: secure },
            ConnKind::Local => ConnKind::Local,
        };
        if self.slot.lock().map(|s| s.is_none()).unwrap_or(true) {
            return Err(PgError::fatal(
                SqlState::TooManyConnections,
                "sorry, too many clients already",
            ));
        }
        let path = self.data_dir.join("pg_hba.conf");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            PgError::fatal(
                SqlState::ConfigFileError,
                format!("could not open file \"{}\": {e}", path.display()),
            )
        })?;
        let lines = hba::parse(&text, &path.display().to_string()).map_err(|e| {
            PgError::fatal(SqlState::ConfigFileError, "could not load pg_hba.conf")
                .with_detail(e.message)
        })?;
        match hba::lookup(&lines, kind, self.peer, database, user) {
            Some(AuthMethod::Reject) => Err(PgError::fatal(
                SqlState::InvalidAuthorizationSpecification,
                format!(
                    "pg_hba.conf rejects connection for host \"{}\", user \"{user}\", database \"{database}\", {}",
                    self.host_description(),
                    Self::encryption(kind)
                ),
            )),
            Some(m) => Ok(m),
            None => Err(PgError::fatal(
                SqlState::InvalidAuthorizationSpecification,
                format!(
                    "no pg_hba.conf entry for host \"{}\", user \"{user}\", database \"{database}\", {}",
                    self.host_description(),
                    Self::encryption(kind)
                ),
            )),
        }
    }

    /// The roles of `pg_authid`, read with a fresh catalog snapshot.
    fn load_roles(&self) -> PgResult<Vec<catalog::role::Role>> {
        let session = self.tcop.session();
        let found = crate::relcache::with_reader(&session, |r| r.roles());
        // The lookup's snapshot must not linger.
        session.storage.transam.end_without_xid();
        Ok(found
            .map_err(|e| PgError {
                severity: types::Severity::Fatal,
                ..e
            })?
            .into_iter()
            .map(|(_, r)| r.into())
            .collect())
    }

    /// After authentication: the role and database exist, settings from the
    /// startup packet apply, and the session becomes visible in the ProcArray.
    fn post_auth(
        &self,
        params: &HashMap<String, String>,
        roles: &[catalog::role::Role],
    ) -> PgResult<()> {
        let user = params.get("user").cloned().unwrap_or_default();
        let database = params
            .get("database")
            .filter(|d| !d.is_empty())
            .cloned()
            .unwrap_or_else(|| user.clone());
        let role = roles.iter().find(|r| r.name == user).ok_or_else(|| {
            PgError::fatal(
                SqlState::InvalidAuthorizationSpecification,
                format!("role \"{user}\" does not exist"),
            )
        })?;
        if !role.can_login {
            return Err(PgError::fatal(
                SqlState::InvalidAuthorizationSpecification,
                format!("role \"{user}\" is not permitted to log in"),
            ));
        }
        let db = {
            let session = self.tcop.session();
            let found = crate::relcache::with_reader(&session, |r| r.database(&database));
            // The lookup's snapshot must not linger while the session is idle.
            session.storage.transam.end_without_xid();
            found
                .map_err(|e| PgError {
                    severity: types::Severity::Fatal,
                    ..e
                })?
                .map(|(_, d)| d)
        }
        .ok_or_else(|| {
            PgError::fatal(
                SqlState::InvalidCatalogName,
                format!("database \"{database}\" does not exist"),
            )
        })?;
        if !db.allow_connections {
            return Err(PgError::fatal(
                SqlState::ObjectNotInPrerequisiteState,
                format!("database \"{database}\" is not currently accepting connections"),
            ));
        }
        let mut session = self.tcop.session();
        session.user = user.clone();
        session.database = database.clone();
        session.database_oid = db.oid;
        session.is_superuser = role.superuser;
        session.user_oid = role.oid;
        session.auth = crate::commands::user::Authorization::login(&user, role.oid, role.superuser);
        session
            .settings
            .set_override("session_authorization", &user)?;
        session
            .settings
            .set_override("is_superuser", if role.superuser { "on" } else { "off" })?;
        for (name, value) in params {
            match name.as_str() {
                "user" | "database" => {}
                "replication" => {
                    if !matches!(value.as_str(), "false" | "off" | "no" | "0") {
                        return Err(PgError::fatal(
                            SqlState::FeatureNotSupported,
                            "replication connections are not supported yet",
                        ));
                    }
                }
                "options" => {
                    for (n, v) in parse_options(value)? {
                        session.set_from_client(&n, &v).map_err(|e| PgError {
                            severity: types::Severity::Fatal,
                            ..e
                        })?;
                    }
                }
                p if p.starts_with("_pq_.") => {}
                other => session.set_from_client(other, value).map_err(|e| PgError {
                    severity: types::Severity::Fatal,
                    ..e
                })?,
            }
        }
        if let Ok(slot) = self.slot.lock()
            && let Some(h) = slot.as_ref()
        {
            h.activate(self.cancel_key, db.oid, crate::session::now_pg());
        }
        Ok(())
    }
}

/// PostgreSQL 15 speaks protocol 3.0 only (sent as the full version number, 3 << 16): a 3.x client (x > 0), or one asking
/// for protocol options (`_pq_.*`), is told so with NegotiateProtocolVersion and
/// served as 3.0. Other major versions were refused before pgwire saw the packet.
async fn negotiate_protocol<C>(
    client: &mut C,
    startup: &pgwire::messages::startup::Startup,
) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    use futures::SinkExt;
    let unsupported: Vec<String> = startup
        .parameters
        .keys()
        .filter(|k| k.starts_with("_pq_."))
        .cloned()
        .collect();
    if startup.protocol_number_minor > 0 || !unsupported.is_empty() {
        client
            .send(PgWireBackendMessage::NegotiateProtocolVersion(
                pgwire::messages::startup::NegotiateProtocolVersion::new(3 << 16, unsupported),
            ))
            .await?;
    }
    client.set_protocol_version(pgwire::messages::ProtocolVersion::PROTOCOL3_0);
    Ok(())
}

/// Splits the startup `options` value: `-c name=value`, `-cname=value` and
/// `--name=value`, separated by spaces (backslash escapes a space).
fn parse_options(s: &str) -> PgResult<Vec<(String, String)>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let setting = if w == "-c" {
            it.next().unwrap_or_default()
        } else if let Some(rest) = w.strip_prefix("-c") {
            rest.to_owned()
        } else if let Some(rest) = w.strip_prefix("--") {
            rest.to_owned()
        } else {
            return Err(PgError::fatal(
                SqlState::SyntaxError,
                format!("invalid command-line argument for server process: {w}"),
            )
            .with_hint("Try \"postgres --help\" for more information."));
        };
        match setting.split_once('=') {
            Some((n, v)) => out.push((n.replace('-', "_"), v.to_owned())),
            None => {
                return Err(PgError::fatal(
                    SqlState::SyntaxError,
                    format!("-c {setting} requires a value"),
                ));
            }
        }
    }
    Ok(out)
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let fatal = |e: PgError| protocol::error::to_pgwire(&e);
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                negotiate_protocol(client, startup).await?;
                pgwire::api::auth::save_startup_parameters_to_metadata(client, startup);
                let Some(user) = client
                    .metadata()
                    .get("user")
                    .cloned()
                    .filter(|u| !u.is_empty())
                else {
                    return Err(fatal(PgError::fatal(
                        SqlState::InvalidAuthorizationSpecification,
                        "no PostgreSQL user name specified in startup packet",
                    )));
                };
                let database = client
                    .metadata()
                    .get("database")
                    .filter(|d| !d.is_empty())
                    .cloned()
                    .unwrap_or_else(|| user.clone());
                let method = self
                    .choose_method(&user, &database, client.is_secure())
                    .map_err(fatal)?;
                let roles = self.load_roles().map_err(fatal)?;
                let stored = roles
                    .iter()
                    .find(|r| r.name == user)
                    .and_then(|r| r.password.clone());
                let source = Arc::new(RoleSource {
                    roles: roles.clone(),
                });
                let mechanism = match method {
                    AuthMethod::Trust | AuthMethod::Reject => {
                        self.post_auth(client.metadata(), &roles).map_err(fatal)?;
                        return self.driver.complete_authentication(client, None).await;
                    }
                    AuthMethod::Password => CleartextPasswordAuth::new(source).create(),
                    // md5 with a SCRAM verifier stored runs SCRAM, as PostgreSQL does.
                    AuthMethod::Md5 if stored.as_deref().is_some_and(|s| s.starts_with("md5")) => {
                        Md5PasswordAuth::new(source).create()
                    }
                    AuthMethod::Md5 | AuthMethod::ScramSha256 => {
                        SaslMechanisms::new(vec![Arc::new(ScramAuth::new(source))]).create()
                    }
                };
                match self.driver.begin_authentication(client, mechanism).await {
                    Ok(AuthOutcome::InProgress) => Ok(()),
                    Ok(AuthOutcome::Authenticated { final_message, .. }) => {
                        self.post_auth(client.metadata(), &roles).map_err(fatal)?;
                        self.driver
                            .complete_authentication(client, final_message)
                            .await
                    }
                    Err(_) => Err(auth_failed(&user)),
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let user = client.metadata().get("user").cloned().unwrap_or_default();
                match self.driver.advance_authentication(client, msg).await {
                    Ok(AuthOutcome::InProgress) => Ok(()),
                    Ok(AuthOutcome::Authenticated { final_message, .. }) => {
                        let roles = self.load_roles().map_err(fatal)?;
                        self.post_auth(client.metadata(), &roles).map_err(fatal)?;
                        self.driver
                            .complete_authentication(client, final_message)
                            .await
                    }
                    Err(e) => {
                        tracing::info!("authentication failed for user \"{user}\": {e}");
                        Err(auth_failed(&user))
                    }
                }
            }
            _ => Err(fatal(PgError::fatal(
                SqlState::ProtocolViolation,
                "expected password response",
            ))),
        }
    }
}

/// Handles a CancelRequest: finds the target by (pid, key) in the ProcArray and
/// signals it. Nothing is sent back: the requester learns nothing either way.
pub fn cancel_backend(shmem: &SharedMemory, pid: i32, key: i32) {
    match shmem.proc_array().find_pid(pid) {
        Some(p) if p.cancel_key == key => {
            if let Err(e) = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p.pid),
                nix::sys::signal::Signal::SIGINT,
            ) {
                tracing::info!("could not signal process {}: {e}", p.pid);
            }
        }
        _ => tracing::info!("wrong key in cancel request for process {pid}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_options_are_split_like_postgresql() {
        let o = parse_options("-c search_path=a -cwork_mem=4MB --statement-timeout=5s -c x=a\\ b")
            .expect("valid");
        assert_eq!(
            o,
            vec![
                ("search_path".into(), "a".into()),
                ("work_mem".into(), "4MB".into()),
                ("statement_timeout".into(), "5s".into()),
                ("x".into(), "a b".into()),
            ]
        );
        assert!(parse_options("garbage").is_err());
        assert!(parse_options("-c novalue").is_err());
    }
}
