//! The postmaster: the server binary users start.
//!
//! `postmaster -D DIR [-p PORT] [-c name=value]... [-h ADDRESSES] [-k SOCKETDIR] [--pwfile FILE]`
//!
//! It initialises an empty DIR (as initdb would), reads the configuration, takes
//! the data directory's lock file, creates the shared-memory segment, listens,
//! and then runs [`server::Postmaster::run`]: for every connection it forks and
//! execs the `backend` binary found next to its own executable. Before it admits
//! sessions it runs `backend --role=startup` (which loads the transaction
//! counters and runs crash recovery from the WAL); once that succeeds it
//! starts the auxiliary processes `backend --role=checkpointer`, `walwriter`,
//! `bgwriter` and, with `autovacuum = on`, `autovacuum`, and starts them again
//! if they exit. At a smart or fast shutdown it stops everything else first,
//! then has the checkpointer write the shutdown checkpoint (SIGUSR2). It never
//! reads a client's startup packet and never links the planner or executor.

#![forbid(unsafe_code)]

mod config;
mod pidfile;
mod server;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use types::PgError;

#[derive(Parser, Debug)]
#[command(
    name = "postmaster",
    version,
    about = "OxiPG server",
    disable_help_flag = true
)]
struct Args {
    /// Data directory (initialised if missing or empty).
    #[arg(short = 'D', env = "PGDATA")]
    data: PathBuf,
    /// Port to listen on.
    #[arg(short = 'p')]
    port: Option<u16>,
    /// Set a run-time parameter: -c name=value.
    #[arg(short = 'c', value_name = "NAME=VALUE")]
    settings: Vec<String>,
    /// listen_addresses.
    #[arg(short = 'h', value_name = "ADDRESSES")]
    listen: Option<String>,
    /// unix_socket_directories.
    #[arg(short = 'k', value_name = "DIRECTORY")]
    socket_dir: Option<String>,
    /// On initialisation, read the superuser's password from this file
    /// (then loopback connections require scram-sha-256).
    #[arg(long)]
    pwfile: Option<PathBuf>,
    /// On initialisation, the superuser's name.
    #[arg(short = 'U', long = "username", default_value = "postgres")]
    username: String,
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

fn fatal(e: &PgError) -> ExitCode {
    eprintln!("FATAL:  {}", e.message);
    if let Some(d) = &e.detail {
        eprintln!("DETAIL:  {d}");
    }
    if let Some(h) = &e.hint {
        eprintln!("HINT:  {h}");
    }
    ExitCode::from(1)
}

fn init_data_dir(args: &Args) -> Result<(), PgError> {
    let dir = &args.data;
    let io = |e: std::io::Error| {
        PgError::fatal(
            types::SqlState::IoError,
            format!(
                "could not initialise data directory \"{}\": {e}",
                dir.display()
            ),
        )
    };
    if catalog::bootstrap::is_initialized(dir) {
        let version = std::fs::read_to_string(dir.join("PG_VERSION")).map_err(io)?;
        if version.trim() != catalog::bootstrap::PG_MAJOR_VERSION {
            return Err(PgError::fatal(types::SqlState::ObjectNotInPrerequisiteState, "database files are incompatible with server").with_detail(format!(
                "The data directory was initialized by PostgreSQL version {}, which is not compatible with this version {}.",
                version.trim(),
                catalog::bootstrap::PG_MAJOR_VERSION
            )));
        }
        return Ok(());
    }
    if !catalog::bootstrap::is_empty_or_missing(dir).map_err(io)? {
        return Err(PgError::fatal(
            types::SqlState::ObjectNotInPrerequisiteState,
            format!("\"{}\" is not a database cluster directory", dir.display()),
        )
        .with_hint("Give an empty or missing directory to initialise a new cluster there."));
    }
    let verifier = match &args.pwfile {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| {
                PgError::fatal(
                    types::SqlState::IoError,
                    format!("could not read password file \"{}\": {e}", f.display()),
                )
            })?;
            let pw = text.lines().next().unwrap_or("");
            if pw.is_empty() {
                return Err(PgError::fatal(
                    types::SqlState::InvalidParameterValue,
                    format!("password file \"{}\" is empty", f.display()),
                ));
            }
            Some(protocol::password::ScramVerifier::new(pw).to_string())
        }
        None => None,
    };
    eprintln!(
        "initialising database cluster in \"{}\" (superuser \"{}\")",
        dir.display(),
        args.username
    );
    catalog::bootstrap::initialize(
        dir,
        &catalog::bootstrap::BootstrapOptions {
            superuser: args.username.clone(),
            superuser_verifier: verifier.clone(),
        },
    )
    .map_err(io)?;
    if verifier.is_none() {
        eprintln!("WARNING:  the new cluster trusts every local connection: anyone who can reach");
        eprintln!("          127.0.0.1 or ::1 can log in as any user without a password.");
        eprintln!("HINT:  Edit pg_hba.conf, or initialise with --pwfile to require scram-sha-256.");
    }
    Ok(())
}

fn pg_epoch_micros() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_micros() as i64 - 946_684_800_000_000
}

fn backend_exe() -> Result<PathBuf, PgError> {
    let me = std::env::current_exe().map_err(|e| {
        PgError::fatal(
            types::SqlState::IoError,
            format!("could not locate my own executable path: {e}"),
        )
    })?;
    let exe = me.with_file_name("backend");
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(PgError::fatal(
            types::SqlState::IoError,
            format!(
                "could not find the backend executable \"{}\"",
                exe.display()
            ),
        ))
    }
}

fn init_logging(settings: &types::guc::Settings) {
    storage::elog::init(storage::elog::filter_for(
        &settings.show("log_min_messages").unwrap_or_default(),
    ));
}

fn listen_addrs(spec: &str, port: u16) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item {
            "*" => {
                out.push(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), port));
                out.push(SocketAddr::new(
                    "::".parse().unwrap_or(IpAddr::from([0u16; 8])),
                    port,
                ));
            }
            "localhost" => {
                out.push(SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port));
                out.push(SocketAddr::new(
                    "::1"
                        .parse()
                        .unwrap_or(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])),
                    port,
                ));
            }
            other => match other.parse::<IpAddr>() {
                Ok(ip) => out.push(SocketAddr::new(ip, port)),
                Err(_) => tracing::warn!(
                    "invalid IP address \"{other}\" in listen_addresses (host names are not supported)"
                ),
            },
        }
    }
    out
}

fn bind_tcp(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    sock.set_reuseaddr(true)?;
    sock.bind(addr)?;
    sock.listen(1024)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = init_data_dir(&args) {
        return fatal(&e);
    }
    let data_dir = match std::fs::canonicalize(&args.data) {
        Ok(d) => d,
        Err(e) => {
            return fatal(&PgError::fatal(
                types::SqlState::IoError,
                format!(
                    "could not access directory \"{}\": {e}",
                    args.data.display()
                ),
            ));
        }
    };
    let mut overrides = Vec::new();
    for c in &args.settings {
        match config::split_override(c) {
            Ok(kv) => overrides.push(kv),
            Err(msg) => return fatal(&PgError::fatal(types::SqlState::SyntaxError, msg)),
        }
    }
    if let Some(p) = args.port {
        overrides.push(("port".into(), p.to_string()));
    }
    if let Some(h) = &args.listen {
        overrides.push(("listen_addresses".into(), h.clone()));
    }
    if let Some(k) = &args.socket_dir {
        overrides.push(("unix_socket_directories".into(), k.clone()));
    }
    let settings = match config::load(&data_dir, &overrides) {
        Ok(s) => s,
        Err(e) => return fatal(&e),
    };
    init_logging(&settings);
    match run(data_dir, settings, &overrides) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => fatal(&e),
    }
}

fn run(
    data_dir: PathBuf,
    settings: types::guc::Settings,
    overrides: &[(String, String)],
) -> Result<i32, PgError> {
    let backend_exe = backend_exe()?;
    let port = settings.get_int("port").unwrap_or(5432) as u16;
    let max_connections = settings.get_int("max_connections").unwrap_or(100) as u32;
    let buffers = server::BufferSizes {
        shared_buffers: settings.get_int("shared_buffers").unwrap_or(16384) as u32,
        // Already auto-tuned from shared_buffers when -1 (Settings::autotune).
        wal_buffers: settings.get_int("wal_buffers").unwrap_or(512).max(8) as u32,
    };
    let listen = settings
        .get_str("listen_addresses")
        .unwrap_or_else(|| "localhost".into());
    let socket_dirs: Vec<String> = settings
        .get_str("unix_socket_directories")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let start_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut pid_file = pidfile::PidFile {
        pid: std::process::id() as i32,
        data_dir: data_dir.clone(),
        start_time: start_secs as i64,
        port,
        socket_dir: socket_dirs.first().cloned().unwrap_or_default(),
        listen_addr: listen.split(',').next().unwrap_or("").trim().to_owned(),
        shmem_id: String::new(),
        status: "starting",
    };
    match pidfile::acquire(&data_dir, &pid_file) {
        Ok(()) => {}
        Err(pidfile::LockError::Held { pid }) => {
            return Err(PgError::fatal(
                types::SqlState::ObjectNotInPrerequisiteState,
                "lock file \"postmaster.pid\" already exists",
            )
            .with_hint(format!(
                "Is another postmaster (PID {pid}) running in data directory \"{}\"?",
                data_dir.display()
            )));
        }
        Err(pidfile::LockError::Io(e)) => {
            return Err(PgError::fatal(
                types::SqlState::IoError,
                format!("could not create lock file \"postmaster.pid\": {e}"),
            ));
        }
    }
    // As PostgreSQL: unusable certificate or key files stop start-up, rather
    // than failing every connection later.
    if let Err(e) = protocol::tls::acceptor_from_settings(&settings, &data_dir) {
        pidfile::release(&data_dir);
        return Err(e);
    }
    let autovacuum = settings.show("autovacuum").is_ok_and(|v| v == "on");
    let result = run_locked(
        data_dir.clone(),
        backend_exe,
        port,
        max_connections,
        buffers,
        autovacuum,
        &listen,
        &socket_dirs,
        &mut pid_file,
        overrides,
    );
    if result.is_err() {
        pidfile::release(&data_dir);
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn run_locked(
    data_dir: PathBuf,
    backend_exe: PathBuf,
    port: u16,
    max_connections: u32,
    buffers: server::BufferSizes,
    autovacuum: bool,
    listen: &str,
    socket_dirs: &[String],
    pid_file: &mut pidfile::PidFile,
    overrides: &[(String, String)],
) -> Result<i32, PgError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            PgError::fatal(
                types::SqlState::InternalError,
                format!("could not start the event loop: {e}"),
            )
        })?;
    rt.block_on(async move {
        let mut listeners = Vec::new();
        for addr in listen_addrs(listen, port) {
            match bind_tcp(addr) {
                Ok(l) => {
                    tracing::info!(
                        "listening on IPv{} address \"{}\", port {port}",
                        if addr.is_ipv4() { 4 } else { 6 },
                        addr.ip()
                    );
                    listeners.push(l);
                }
                Err(e) => tracing::warn!("could not bind to address \"{}\": {e}", addr.ip()),
            }
        }
        let mut unix = Vec::new();
        let mut unix_paths = Vec::new();
        for dir in socket_dirs {
            let path = Path::new(dir).join(format!(".s.PGSQL.{port}"));
            let _ = std::fs::remove_file(&path);
            match tokio::net::UnixListener::bind(&path) {
                Ok(l) => {
                    let _ = std::fs::write(
                        format!("{}.lock", path.display()),
                        format!("{}\n", std::process::id()),
                    );
                    tracing::info!("listening on Unix socket \"{}\"", path.display());
                    unix.push(l);
                    unix_paths.push(path);
                }
                Err(e) => {
                    tracing::warn!("could not create Unix socket \"{}\": {e}", path.display())
                }
            }
        }
        if listeners.is_empty() && unix.is_empty() {
            return Err(PgError::fatal(
                types::SqlState::IoError,
                "could not create any TCP/IP sockets",
            ));
        }
        let cfg = server::ServerConfig {
            data_dir,
            backend_exe,
            max_connections,
            buffers,
            autovacuum,
            overrides_env: config::encode_overrides(overrides),
            pid_file: pid_file.clone(),
            start_time_pg: pg_epoch_micros(),
            unix_socket_paths: unix_paths,
        };
        let pm = server::Postmaster::new(cfg).map_err(|e| {
            PgError::fatal(
                types::SqlState::InsufficientResources,
                format!("could not create shared memory segment: {e}"),
            )
        })?;
        tracing::debug!("shared memory segment \"{}\"", pm.shmem_id());
        Ok(pm.run(listeners, unix).await)
    })
}
