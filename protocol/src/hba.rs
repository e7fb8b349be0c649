//! Client authentication rules: PostgreSQL's `pg_hba.conf`.
//!
//! Each non-comment line is `TYPE DATABASE USER [ADDRESS [MASK]] METHOD [options]`;
//! the first line matching the connection decides its method. No line matching
//! means the connection is rejected, as in PostgreSQL.

use std::net::IpAddr;

use types::{PgError, PgResult, SqlState};

/// How a client proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Trust,
    Reject,
    Password,
    Md5,
    ScramSha256,
}

/// The transport a connection arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnKind {
    Local,
    Host { ssl: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ConnType {
    Local,
    Host,
    HostSsl,
    HostNoSsl,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Address {
    Any,
    Net { addr: IpAddr, prefix: u8 },
    SameHost,
}

/// One line of pg_hba.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HbaLine {
    line: usize,
    conn: ConnType,
    databases: Vec<String>,
    users: Vec<String>,
    address: Address,
    pub method: AuthMethod,
}

fn config_error(file: &str, line: usize, msg: &str) -> PgError {
    PgError::new(
        SqlState::ConfigFileError,
        format!("{msg} in file \"{file}\" line {line}"),
    )
}

/// Parses the whole file; any invalid line makes the file invalid (PostgreSQL
/// refuses to load a pg_hba.conf with errors).
pub fn parse(text: &str, file: &str) -> PgResult<Vec<HbaLine>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let tok: Vec<&str> = content.split_whitespace().collect();
        let conn = match tok[0] {
            "local" => ConnType::Local,
            "host" => ConnType::Host,
            "hostssl" => ConnType::HostSsl,
            "hostnossl" => ConnType::HostNoSsl,
            other => {
                return Err(config_error(
                    file,
                    lineno,
                    &format!("invalid connection type \"{other}\""),
                ));
            }
        };
        let need = if conn == ConnType::Local { 4 } else { 5 };
        if tok.len() < need {
            return Err(config_error(
                file,
                lineno,
                "end-of-line before authentication method",
            ));
        }
        let list = |s: &str| {
            s.split(',')
                .map(|x| x.trim_matches('"').to_owned())
                .collect::<Vec<_>>()
        };
        let databases = list(tok[1]);
        let users = list(tok[2]);
        let (address, method_idx) = if conn == ConnType::Local {
            (Address::Any, 3)
        } else {
            parse_address(&tok[3..], file, lineno)?
        };
        let method_tok = tok.get(method_idx).copied().unwrap_or("");
        let method = match method_tok {
            "trust" => AuthMethod::Trust,
            "reject" => AuthMethod::Reject,
            "password" => AuthMethod::Password,
            "md5" => AuthMethod::Md5,
            "scram-sha-256" => AuthMethod::ScramSha256,
            "" => {
                return Err(config_error(
                    file,
                    lineno,
                    "end-of-line before authentication method",
                ));
            }
            other => {
                return Err(config_error(
                    file,
                    lineno,
                    &format!("invalid authentication method \"{other}\""),
                ));
            }
        };
        out.push(HbaLine {
            line: lineno,
            conn,
            databases,
            users,
            address,
            method,
        });
    }
    Ok(out)
}

fn parse_address(tok: &[&str], file: &str, lineno: usize) -> PgResult<(Address, usize)> {
    let first = tok[0];
    match first {
        "all" => return Ok((Address::Any, 1 + 3)),
        "samehost" | "samenet" => return Ok((Address::SameHost, 1 + 3)),
        _ => {}
    }
    if let Some((addr, prefix)) = first.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| config_error(file, lineno, &format!("invalid IP address \"{addr}\"")))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
            config_error(
                file,
                lineno,
                &format!("invalid CIDR mask in address \"{first}\""),
            )
        })?;
        return Ok((Address::Net { addr, prefix }, 1 + 3));
    }
    let addr: IpAddr = first.parse().map_err(|_| {
        config_error(
            file,
            lineno,
            &format!("invalid IP address \"{first}\" (host names are not supported)"),
        )
    })?;
    let mask: IpAddr = tok.get(1).and_then(|m| m.parse().ok()).ok_or_else(|| {
        config_error(
            file,
            lineno,
            "specifying both host name and CIDR mask is invalid",
        )
    })?;
    let prefix = match mask {
        IpAddr::V4(m) => u32::from(m).leading_ones() as u8,
        IpAddr::V6(m) => u128::from(m).leading_ones() as u8,
    };
    Ok((Address::Net { addr, prefix }, 2 + 3))
}

fn in_net(client: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let client = match (client, net) {
        (IpAddr::V6(c), IpAddr::V4(_)) => {
            c.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(c))
        }
        (c, _) => c,
    };
    match (client, net) {
        (IpAddr::V4(c), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(c) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(c), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(c) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn name_matches(list: &[String], name: &str, is_db: bool, superuser: bool) -> bool {
    list.iter().any(|e| match e.as_str() {
        "all" => true,
        "sameuser" | "samerole" if is_db => true,
        "replication" if is_db => false,
        s if !is_db && s.starts_with('+') => superuser && &s[1..] == "postgres",
        s => s == name,
    })
}

/// The method for a connection, or None when no line matches (rejected).
pub fn lookup(
    lines: &[HbaLine],
    kind: ConnKind,
    client: Option<IpAddr>,
    database: &str,
    user: &str,
) -> Option<AuthMethod> {
    lines
        .iter()
        .find(|l| {
            let conn_ok = match (&l.conn, kind) {
                (ConnType::Local, ConnKind::Local) => true,
                (ConnType::Host, ConnKind::Host { .. }) => true,
                (ConnType::HostSsl, ConnKind::Host { ssl }) => ssl,
                (ConnType::HostNoSsl, ConnKind::Host { ssl }) => !ssl,
                _ => false,
            };
            let addr_ok = match (&l.address, client) {
                (Address::Any, _) => true,
                (Address::SameHost, Some(ip)) => ip.is_loopback(),
                (Address::Net { addr, prefix }, Some(ip)) => in_net(ip, *addr, *prefix),
                (_, None) => kind == ConnKind::Local,
            };
            conn_ok
                && addr_ok
                && name_matches(&l.databases, database, true, false)
                && name_matches(&l.users, user, false, false)
        })
        .map(|l| {
            tracing::debug!(line = l.line, method = ?l.method, "pg_hba.conf line matched");
            l.method
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
local all all trust
host  postgres app 10.0.0.0/8 md5   # trailing comment
host  all all 127.0.0.1 255.255.255.255 scram-sha-256
hostssl all all ::1/128 password
host all all 0.0.0.0/0 reject
";

    #[test]
    fn first_matching_line_wins() {
        let lines = parse(FILE, "pg_hba.conf").expect("valid");
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        let ten: IpAddr = "10.1.2.3".parse().expect("ip");
        assert_eq!(
            lookup(&lines, ConnKind::Local, None, "x", "y"),
            Some(AuthMethod::Trust)
        );
        assert_eq!(
            lookup(
                &lines,
                ConnKind::Host { ssl: false },
                Some(ten),
                "postgres",
                "app"
            ),
            Some(AuthMethod::Md5)
        );
        assert_eq!(
            lookup(
                &lines,
                ConnKind::Host { ssl: false },
                Some(ten),
                "other",
                "app"
            ),
            Some(AuthMethod::Reject)
        );
        assert_eq!(
            lookup(
                &lines,
                ConnKind::Host { ssl: false },
                Some(lo),
                "postgres",
                "app"
            ),
            Some(AuthMethod::ScramSha256)
        );
        let v6: IpAddr = "::1".parse().expect("ip");
        assert_eq!(
            lookup(&lines, ConnKind::Host { ssl: false }, Some(v6), "a", "b"),
            None
        );
        assert_eq!(
            lookup(&lines, ConnKind::Host { ssl: true }, Some(v6), "a", "b"),
            Some(AuthMethod::Password)
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e =
            parse("host all all 127.0.0.1/32 kerberos\n", "pg_hba.conf").expect_err("bad method");
        assert_eq!(
            e.message,
            "invalid authentication method \"kerberos\" in file \"pg_hba.conf\" line 1"
        );
        assert!(parse("hots all all 1.2.3.4/32 trust", "f").is_err());
        assert!(parse("host all all 1.2.3.4/40 trust", "f").is_err());
        assert!(parse("host all all", "f").is_err());
    }
}
