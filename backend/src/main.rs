//! The backend binary: one process per client connection, and the auxiliary
//! roles (`--role=startup`, `autovacuum`, `bgwriter`, `checkpointer`,
//! `walwriter`), fork+exec'd by the
//! postmaster.
//!
//! The life of a query in a client backend:
//!
//! 1. [`main`] attaches the shared-memory segment named in `PG_SHMEM`
//!    ([`storage::shmem::SharedMemory::attach`]), claims the ProcArray slot in
//!    `PG_PROC_SLOT`, installs the signal flags ([`interrupt::Interrupts`]) and
//!    takes the client socket from descriptor 3 ([`storage::ipc::take_client_socket`]).
//! 2. A current-thread tokio runtime serves the socket with pgwire; start-up and
//!    authentication run in [`startup::Startup`] (pg_hba.conf, SCRAM / md5 /
//!    password / trust), a CancelRequest in [`startup::cancel_backend`].
//! 3. A Query message reaches [`tcop::simple`] (`Tcop::run_simple`); Parse / Bind /
//!    Execute reach [`tcop::extended`]. A simple query that differs from one run
//!    before only in numbers reuses that one's parse tree and plan, the numbers
//!    as parameters ([`tcop::plancache`]); several statements in one Query
//!    message share one implicit transaction block.
//! 4. [`syntax::parse`] turns the text into sqlparser statements (42601 with a
//!    cursor position on error).
//! 5. [`tcop::exec_statement`] checks the transaction state and starts the
//!    statement (an implicit transaction outside a block), then sends
//!    transaction control and SET/SHOW/RESET to [`utility`], DDL, VACUUM and
//!    LOCK to [`commands`], and queries and DML to `tcop::plan_query`
//!    (an INSERT, UPDATE or DELETE on a relation with rules first becomes the
//!    list of statements its rules make, [`rewrite::run_with_rules`], each
//!    run through here again): the planner
//!    resolves names through [`table_access::SessionCatalog`] (the
//!    [`relcache`], read with a fresh catalog snapshot).
//! 6. `tcop::lock_relations` takes the plan's table locks (the lock manager in
//!    shared memory) and plans again if the catalog moved meanwhile; then
//!    [`acl::check_plan_privileges`] checks that the current user (or, inside
//!    a view, the view's owner) holds the privileges the plan needs.
//! 7. `executor::execute_statement` runs the plan, calling back into the
//!    session ([`session::Session`] implements `executor::ExecContext`): scans
//!    and row changes go through [`table_access`] to the heap
//!    (`storage::heap::heapam`) with the statement's snapshot
//!    ([`xact::statement_snapshot`]); the first write assigns the xid
//!    ([`xact::ensure_xid`]). A call of a PL/pgSQL function (or of an SQL
//!    function run statement by statement) comes back here too, to
//!    [`plpgsql::call`], which plans and runs the body's statements in the
//!    same transaction; row changes fire the table's triggers
//!    ([`commands::trigger`]), BEFORE ones at once, AFTER ones queued.
//! 8. Rows become DataRow messages in text or binary format
//!    ([`tcop::data_row`]), followed by CommandComplete.
//! 9. The statement ends ([`session::Session::finish_statement`]): its
//!    queued AFTER triggers and foreign-key checks fire, the command
//!    counter advances, and an implicit transaction commits (at the end of the
//!    message, for an implicit block: [`session::Session::end_implicit_block`])
//!    ([`xact::commit`]: the commit record is inserted and flushed with
//!    group commit, the CLOG marked, the locks released) before ReadyForQuery.
//!    A commit that ran NOTIFY appends its notifications to the shared queue
//!    and signals the listeners ([`commands::async_notify`]).
//! 10. Before ReadyForQuery a session outside a transaction block that
//!     listens sends the notifications it has not read yet as
//!     NotificationResponse messages. Between queries the idle loop
//!     ([`connection::serve`]) waits for the client, SIGTERM and SIGUSR1
//!     together: SIGUSR1 (a NOTIFY committed elsewhere) makes an idle session
//!     outside a transaction block read the queue and write the
//!     notifications to the socket at once, as PostgreSQL does while it
//!     waits for a command.

#![forbid(unsafe_code)]

mod acl;
mod autovacuum;
mod bgwriter;
mod checkpointer;
mod commands;
mod connection;
mod crash_notice;
mod describe;
mod index_exprs;
mod infoschema;
mod interrupt;
mod plpgsql;
mod relcache;
mod rewrite;
mod session;
mod startup;
mod startup_process;
mod syntax;
mod sysviews;
mod table_access;
mod tcop;
mod utility;
mod walctl;
mod walwriter;
mod xact;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use protocol::hba::ConnKind;
use storage::ipc::InheritedSocket;
use storage::shmem::SharedMemory;
use types::guc::{GucSource, Settings};
use types::{PgError, SqlState};

#[derive(Parser, Debug)]
#[command(
    name = "backend",
    about = "OxiPG backend process (started by the postmaster)"
)]
struct Args {
    /// What this process does: `client` (serve the connection on descriptor 3)
    /// or `startup` (check the cluster before sessions are admitted).
    #[arg(long)]
    role: String,
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .map_err(|_| format!("{name} is not set: the backend is started by the postmaster"))
}

/// Settings as the postmaster has them: postgresql.conf, then its -c options.
/// What every role of this binary starts from: the data directory, the
/// segment (kept mapped for the life of the process, and not removed when
/// the process exits: the postmaster owns it), and the settings, with the
/// server log set up from them. The process also asks for SIGTERM when the
/// postmaster dies.
pub(crate) fn attach() -> Result<(PathBuf, &'static SharedMemory, Settings), String> {
    let data_dir = PathBuf::from(env("PG_DATA")?);
    let mut shmem = SharedMemory::attach(&env("PG_SHMEM")?).map_err(|e| e.to_string())?;
    shmem.disown();
    let shmem: &'static SharedMemory = Box::leak(Box::new(shmem));
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM);
    let settings = load_settings(&data_dir)?;
    storage::elog::init(storage::elog::filter_for(
        &settings.show("log_min_messages").unwrap_or_default(),
    ));
    Ok((data_dir, shmem, settings))
}

pub(crate) fn load_settings(data_dir: &std::path::Path) -> Result<Settings, String> {
    let mut settings = Settings::new();
    settings.install_check_hook("TimeZone", check_time_zone);
    // Role names are checked against pg_authid by SET ROLE / SET SESSION
    // AUTHORIZATION themselves (commands/user.rs), which need the catalog.
    settings.install_check_hook("session_authorization", |v| Ok(v.to_owned()));
    settings.install_check_hook("role", |v| Ok(v.to_owned()));
    let path = data_dir.join("postgresql.conf");
    let file_name = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("could not open configuration file \"{file_name}\": {e}"))?;
    let config_error = |e: types::guc::ConfigFileError| {
        e.problems
            .iter()
            .map(|p| p.message.clone())
            .chain([e.summary.message])
            .collect::<Vec<_>>()
            .join("; ")
    };
    let entries = types::guc::parse_config_file(&text, &file_name).map_err(config_error)?;
    types::guc::apply_config(&mut settings, &entries, &file_name).map_err(config_error)?;
    for line in std::env::var("PG_CONFIG_OVERRIDES")
        .unwrap_or_default()
        .lines()
    {
        if let Some((n, v)) = line.split_once('=') {
            settings
                .set(n, v, GucSource::CommandLine, true)
                .map_err(|e| e.message)?;
        }
    }
    settings
        .set_override("data_directory", &data_dir.display().to_string())
        .map_err(|e| e.message)?;
    Ok(settings)
}

/// TimeZone values must be ones the datetime code can apply (see
/// `types::datum::TimeZone::parse`); others are refused when SET, not ignored.
fn check_time_zone(value: &str) -> Result<String, types::guc::CheckError> {
    match types::datum::TimeZone::parse(value) {
        Ok(_) => Ok(value.to_owned()),
        // An unknown name gets the parameter's own message, as PostgreSQL's
        // (`invalid value for parameter "TimeZone": "Foo/Bar"`).
        Err(e) if e.code == types::SqlState::InvalidParameterValue => Err(types::guc::CheckError {
            code: e.code,
            message: None,
            detail: None,
            hint: None,
        }),
        Err(e) => Err(types::guc::CheckError {
            code: e.code,
            message: Some(e.message),
            detail: e.detail,
            hint: e.hint,
        }),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    planner::fold::set_evaluator(index_exprs::eval_constant);
    match args.role.as_str() {
        "client" => exit_code(run_client()),
        "autovacuum" => exit_code(autovacuum::run().map(|()| ExitCode::SUCCESS)),
        "bgwriter" => exit_code(bgwriter::run().map(|()| ExitCode::SUCCESS)),
        "checkpointer" => exit_code(checkpointer::run().map(|()| ExitCode::SUCCESS)),
        "walwriter" => exit_code(walwriter::run().map(|()| ExitCode::SUCCESS)),
        "startup" => exit_code(startup_process::run().map(|()| ExitCode::SUCCESS)),
        other => {
            eprintln!(
                "backend: unknown role \"{other}\" (known: client, startup, autovacuum, bgwriter, checkpointer, walwriter)"
            );
            ExitCode::from(1)
        }
    }
}

/// A role's outcome as the process exit status: an error is printed as
/// FATAL and exits 1 (which the postmaster treats as a normal exit).
fn exit_code(result: Result<ExitCode, String>) -> ExitCode {
    result.unwrap_or_else(|msg| {
        eprintln!("FATAL:  {msg}");
        ExitCode::from(1)
    })
}

fn run_client() -> Result<ExitCode, String> {
    let interrupts = interrupt::Interrupts::install()
        .map_err(|e| format!("could not install signal handlers: {e}"))?;
    // If the postmaster dies, SIGTERM ends the session (57P01).
    let (data_dir, shmem, settings) = attach()?;
    if nix::unistd::getppid().as_raw() != shmem.postmaster_pid() {
        return Err("the postmaster exited before this backend started".into());
    }
    let pid = std::process::id() as i32;
    let slot = std::env::var("PG_PROC_SLOT")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .and_then(|s| shmem.proc_array().claim(s, pid));
    let socket = storage::ipc::take_client_socket().map_err(|e| e.to_string())?;

    // A backend without a slot (a cancel request, a refused connection)
    // never runs a transaction; it borrows the reserved last slot, which no
    // process ever claims, so that it touches no live backend's state.
    let slot_index = slot
        .as_ref()
        .map(|h| h.index())
        .unwrap_or(shmem.layout().proc_slots as usize - 1);
    let storage_env = xact::StorageEnv::new(shmem, &data_dir, slot_index, pid, &settings)
        .map_err(|e| e.message)?;
    let session = session::Session::new(settings, shmem, interrupts.clone(), storage_env, pid);
    // A backend that held this slot before and died unexpectedly may have
    // left it registered as a NOTIFY reader.
    commands::async_notify::at_session_end(&session);
    let tcop = tcop::Tcop::new(session);
    let session_for_exit = tcop.clone();

    let reject = match std::env::var("PG_REJECT").as_deref() {
        Ok("startup") => Some(PgError::fatal(
            SqlState::CannotConnectNow,
            "the database system is starting up",
        )),
        Ok("shutdown") => Some(PgError::fatal(
            SqlState::CannotConnectNow,
            "the database system is shutting down",
        )),
        Ok("recovery") => Some(PgError::fatal(
            SqlState::CannotConnectNow,
            "the database system is in recovery mode",
        )),
        _ => None,
    };
    let startup_timeout = tcop
        .session()
        .settings
        .get_duration("authentication_timeout")
        .unwrap_or(std::time::Duration::from_secs(60));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let tls = tls_acceptor(&tcop)?;
        let (kind, peer, stream): (ConnKind, SocketAddr, Box<dyn connection::ClientStream>) =
            match socket {
                InheritedSocket::Tcp(s) => {
                    let peer = s.peer_addr().map_err(|e| e.to_string())?;
                    crash_notice::install(s.try_clone().map_err(|e| e.to_string())?, shmem);
                    s.set_nonblocking(true).map_err(|e| e.to_string())?;
                    let s = tokio::net::TcpStream::from_std(s).map_err(|e| e.to_string())?;
                    let _ = s.set_nodelay(true);
                    (ConnKind::Host { ssl: false }, peer, Box::new(s))
                }
                InheritedSocket::Unix(s) => {
                    crash_notice::install(s.try_clone().map_err(|e| e.to_string())?, shmem);
                    s.set_nonblocking(true).map_err(|e| e.to_string())?;
                    let s = tokio::net::UnixStream::from_std(s).map_err(|e| e.to_string())?;
                    (
                        ConnKind::Local,
                        SocketAddr::from(([127, 0, 0, 1], 0)),
                        Box::new(s),
                    )
                }
            };
        let peer_ip = (kind != ConnKind::Local).then(|| peer.ip());
        let startup = Arc::new(startup::Startup::new(
            tcop.clone(),
            data_dir,
            kind,
            peer_ip,
            slot,
        ));
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        let terminate = async move {
            sigterm.recv().await;
        };
        // NOTIFY's wake-up call to a listening session (connection.rs).
        let notify_wakeup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
                .map_err(|e| e.to_string())?;
        connection::serve(
            stream,
            peer,
            tls,
            Arc::new(tcop),
            startup,
            |pid, key| startup::cancel_backend(shmem, pid, key),
            reject,
            terminate,
            startup_timeout,
            notify_wakeup,
        )
        .await;
        Ok::<_, String>(())
    })?;
    // The client is gone: a transaction left open dies with the session.
    let mut s = session_for_exit.session();
    xact::abort(&mut s);
    commands::async_notify::at_session_end(&s);
    commands::temp::at_session_end(&mut s);
    Ok(ExitCode::SUCCESS)
}

fn tls_acceptor(tcop: &tcop::Tcop) -> Result<Option<tokio_rustls::TlsAcceptor>, String> {
    let s = tcop.session();
    let data_dir = PathBuf::from(s.settings.get_str("data_directory").unwrap_or_default());
    protocol::tls::acceptor_from_settings(&s.settings, &data_dir).map_err(|e| e.message)
}
