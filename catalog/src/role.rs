//! Roles that can log in (pg_authid), read from `global/pg_authid`.
//!
//! File format, one role a line: `oid<TAB>name<TAB>superuser(t|f)<TAB>password`
//! where password is empty (no password) or a verifier as PostgreSQL stores it
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` or `md5<hex>`).

use std::path::Path;

use types::{PgError, PgResult, SqlState};

/// The bootstrap superuser's oid, as in PostgreSQL.
pub const BOOTSTRAP_SUPERUSER_OID: u32 = 10;

/// Path of the role file inside the data directory.
pub const AUTHID_FILE: &str = "global/pg_authid";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub oid: u32,
    pub name: String,
    pub superuser: bool,
    pub password: Option<String>,
}

impl Role {
    fn to_line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\n",
            self.oid,
            self.name,
            if self.superuser { 't' } else { 'f' },
            self.password.as_deref().unwrap_or("")
        )
    }
}

/// Parses the role file's text.
pub fn parse(text: &str) -> PgResult<Vec<Role>> {
    let mut roles = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let corrupt = || PgError::new(SqlState::DataCorrupted, format!("invalid line {} in \"{AUTHID_FILE}\"", n + 1));
        if f.len() != 4 {
            return Err(corrupt());
        }
        roles.push(Role {
            oid: f[0].parse().map_err(|_| corrupt())?,
            name: f[1].to_owned(),
            superuser: match f[2] {
                "t" => true,
                "f" => false,
                _ => return Err(corrupt()),
            },
            password: (!f[3].is_empty()).then(|| f[3].to_owned()),
        });
    }
    Ok(roles)
}

/// Reads the roles of the cluster at `data_dir`.
pub fn load(data_dir: &Path) -> PgResult<Vec<Role>> {
    let path = data_dir.join(AUTHID_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        PgError::new(SqlState::IoError, format!("could not open file \"{}\": {e}", path.display()))
    })?;
    parse(&text)
}

/// Writes the role file atomically (write a temporary file, fsync, rename).
pub fn store(data_dir: &Path, roles: &[Role]) -> std::io::Result<()> {
    use std::io::Write as _;
    let path = data_dir.join(AUTHID_FILE);
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    for r in roles {
        f.write_all(r.to_line().as_bytes())?;
    }
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let roles = vec![
            Role { oid: 10, name: "postgres".into(), superuser: true, password: None },
            Role { oid: 16384, name: "app".into(), superuser: false, password: Some("md5abc".into()) },
        ];
        let text: String = roles.iter().map(Role::to_line).collect();
        assert_eq!(parse(&text).expect("parses"), roles);
        let err = parse("10\tpostgres\tx\t\n").expect_err("bad flag");
        assert_eq!(err.code, SqlState::DataCorrupted);
        assert!(parse("garbage").is_err());
    }
}
