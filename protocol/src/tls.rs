//! TLS for `ssl = on`: a rustls acceptor from ssl_cert_file / ssl_key_file.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use types::{PgError, PgResult, SqlState};

fn open(path: &Path) -> PgResult<BufReader<std::fs::File>> {
    std::fs::File::open(path).map(BufReader::new).map_err(|e| {
        PgError::fatal(SqlState::ConfigFileError, format!("could not load server certificate file \"{}\": {e}", path.display()))
    })
}

/// Builds the acceptor; errors read like PostgreSQL's start-up errors for bad files.
pub fn acceptor(cert_file: &Path, key_file: &Path) -> PgResult<TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut open(cert_file)?)
        .collect::<Result<_, _>>()
        .map_err(|e| PgError::fatal(SqlState::ConfigFileError, format!("could not load server certificate file \"{}\": {e}", cert_file.display())))?;
    if certs.is_empty() {
        return Err(PgError::fatal(
            SqlState::ConfigFileError,
            format!("could not load server certificate file \"{}\": no certificate found", cert_file.display()),
        ));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut open(key_file)?)
        .ok()
        .flatten()
        .ok_or_else(|| {
            PgError::fatal(SqlState::ConfigFileError, format!("could not load private key file \"{}\"", key_file.display()))
        })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| PgError::fatal(SqlState::ConfigFileError, format!("could not load private key file \"{}\": {e}", key_file.display())))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
