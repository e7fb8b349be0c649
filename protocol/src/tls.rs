//! TLS for `ssl = on`: a rustls acceptor from ssl_cert_file / ssl_key_file.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use types::guc::Settings;
use types::{PgError, PgResult, SqlState};

/// An I/O error as `strerror` words it: without Rust's " (os error N)" suffix.
fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_owned(),
        _ => s,
    }
}

fn config_error(message: String) -> PgError {
    PgError::fatal(SqlState::ConfigFileError, message)
}

/// The acceptor for `settings` when `ssl = on` (`None` when off), with relative file names
/// resolved against `data_dir`; errors name the files as the settings do, like
/// PostgreSQL's. The postmaster calls this at start-up so that bad files stop it, as they
/// stop PostgreSQL; each backend calls it again to build its own acceptor.
pub fn acceptor_from_settings(
    settings: &Settings,
    data_dir: &Path,
) -> PgResult<Option<TlsAcceptor>> {
    if !settings.get_bool("ssl").unwrap_or(false) {
        return Ok(None);
    }
    let cert = settings
        .get_str("ssl_cert_file")
        .unwrap_or_else(|| "server.crt".into());
    let key = settings
        .get_str("ssl_key_file")
        .unwrap_or_else(|| "server.key".into());
    let resolve = |p: &str| -> PathBuf {
        if p.starts_with('/') {
            PathBuf::from(p)
        } else {
            data_dir.join(p)
        }
    };
    build(&resolve(&cert), &cert, &resolve(&key), &key).map(Some)
}

/// Builds the acceptor; errors read like PostgreSQL's start-up errors for bad files.
pub fn acceptor(cert_file: &Path, key_file: &Path) -> PgResult<TlsAcceptor> {
    build(
        cert_file,
        &cert_file.display().to_string(),
        key_file,
        &key_file.display().to_string(),
    )
}

fn build(
    cert_file: &Path,
    cert_name: &str,
    key_file: &Path,
    key_name: &str,
) -> PgResult<TlsAcceptor> {
    let load_cert_error = |detail: String| {
        config_error(format!(
            "could not load server certificate file \"{cert_name}\": {detail}"
        ))
    };
    let load_key_error = |detail: String| {
        config_error(format!(
            "could not load private key file \"{key_name}\": {detail}"
        ))
    };

    let cert_reader =
        std::fs::File::open(cert_file).map_err(|e| load_cert_error(os_message(&e)))?;
    let certs: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut BufReader::new(cert_reader))
            .collect::<Result<_, _>>()
            .map_err(|e| load_cert_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(load_cert_error("no certificate found".into()));
    }
    let key_reader = std::fs::File::open(key_file).map_err(|e| {
        config_error(format!(
            "could not access private key file \"{key_name}\": {}",
            os_message(&e)
        ))
    })?;
    let key: PrivateKeyDer<'static> =
        match rustls_pemfile::private_key(&mut BufReader::new(key_reader)) {
            Ok(Some(key)) => key,
            Ok(None) => return Err(load_key_error("no private key found".into())),
            Err(e) => return Err(load_key_error(e.to_string())),
        };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| load_key_error(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
