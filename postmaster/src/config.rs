//! Start-up configuration: postgresql.conf, then `-c name=value` (and -p, -h, -k),
//! validated against the settings table; any error stops start-up.

use std::path::Path;

use types::PgError;
use types::guc::{self, GucSource, Settings};

/// Name of the configuration file inside the data directory.
pub const CONFIG_FILE: &str = "postgresql.conf";

/// Environment variable carrying the command-line settings to every child, which
/// re-reads postgresql.conf and applies these on top (PostgreSQL's EXEC_BACKEND
/// passes its settings the same way, through a file).
pub const OVERRIDES_ENV: &str = "PG_CONFIG_OVERRIDES";

/// Reads the configuration file and applies the overrides.
pub fn load(data_dir: &Path, overrides: &[(String, String)]) -> Result<Settings, PgError> {
    let mut settings = Settings::new();
    let path = data_dir.join(CONFIG_FILE);
    let file_name = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        PgError::fatal(
            types::SqlState::ConfigFileError,
            format!("could not open configuration file \"{file_name}\": {e}"),
        )
    })?;
    let report = |e: guc::ConfigFileError| {
        for p in &e.problems {
            eprintln!("LOG:  {}", p.message);
        }
        *e.summary
    };
    let entries = guc::parse_config_file(&text, &file_name).map_err(report)?;
    guc::apply_config(&mut settings, &entries, &file_name).map_err(report)?;
    for (name, value) in overrides {
        settings.set(name, value, GucSource::CommandLine, true)?;
    }
    settings.set_override("data_directory", &data_dir.display().to_string())?;
    Ok(settings)
}

/// Splits a `-c name=value` argument as PostgreSQL does (dashes in the name
/// become underscores).
pub fn split_override(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((n, v)) => Ok((n.trim().replace('-', "_"), v.to_owned())),
        None => Err(format!("-c {arg} requires a value")),
    }
}

/// Serialises overrides for [`OVERRIDES_ENV`] (one `name=value` per line; values
/// with newlines cannot be given on a command line, so none need escaping).
pub fn encode_overrides(overrides: &[(String, String)]) -> String {
    overrides
        .iter()
        .map(|(n, v)| format!("{n}={v}\n"))
        .collect()
}
