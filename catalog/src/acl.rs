//! Access control lists (PostgreSQL's `aclitem`, `utils/acl.h`).
//!
//! An object's ACL (`relacl`, `nspacl`, `datacl`, ...) is a list of items
//! `grantee=privileges/grantor`: the grantee is a role name, or nothing for
//! PUBLIC; each privilege is one letter, followed by `*` when the grantee
//! may grant it on:
//!
//! ```text
//!   a INSERT   r SELECT   w UPDATE   d DELETE   D TRUNCATE   x REFERENCES
//!   t TRIGGER  X EXECUTE  U USAGE    C CREATE   T TEMPORARY  c CONNECT
//!
//!   {postgres=arwdDxt/postgres,alice=r*/postgres,=r/postgres}
//! ```
//!
//! A NULL ACL means the default of the object kind ([`default_acl`]): all
//! privileges for the owner, and for PUBLIC EXECUTE on functions, USAGE on
//! types and languages, CONNECT and TEMPORARY on databases. The first GRANT
//! or REVOKE makes the default explicit and changes it.
//!
//! The catalogs store the items as text (a `text[]` column) in exactly the
//! form PostgreSQL prints them, with role names; [`AclItem::parse`] reads
//! them back.

pub const ACL_INSERT: u32 = 1 << 0;
pub const ACL_SELECT: u32 = 1 << 1;
pub const ACL_UPDATE: u32 = 1 << 2;
pub const ACL_DELETE: u32 = 1 << 3;
pub const ACL_TRUNCATE: u32 = 1 << 4;
pub const ACL_REFERENCES: u32 = 1 << 5;
pub const ACL_TRIGGER: u32 = 1 << 6;
pub const ACL_EXECUTE: u32 = 1 << 7;
pub const ACL_USAGE: u32 = 1 << 8;
pub const ACL_CREATE: u32 = 1 << 9;
pub const ACL_CREATE_TEMP: u32 = 1 << 10;
pub const ACL_CONNECT: u32 = 1 << 11;

/// The letter of each privilege bit, in bit order.
const LETTERS: &[u8] = b"arwdDxtXUCTc";

/// What kind of object an ACL belongs to: it decides the privileges that
/// apply and the default ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Table,
    Sequence,
    Database,
    Function,
    Schema,
    Type,
    Language,
    ForeignDataWrapper,
    ForeignServer,
}

impl ObjectKind {
    /// Every privilege the kind has (what ALL PRIVILEGES means).
    pub fn all_privileges(self) -> u32 {
        match self {
            ObjectKind::Table => {
                ACL_INSERT
                    | ACL_SELECT
                    | ACL_UPDATE
                    | ACL_DELETE
                    | ACL_TRUNCATE
                    | ACL_REFERENCES
                    | ACL_TRIGGER
            }
            ObjectKind::Sequence => ACL_USAGE | ACL_SELECT | ACL_UPDATE,
            ObjectKind::Database => ACL_CREATE | ACL_CREATE_TEMP | ACL_CONNECT,
            ObjectKind::Function => ACL_EXECUTE,
            ObjectKind::Schema => ACL_USAGE | ACL_CREATE,
            ObjectKind::Type
            | ObjectKind::Language
            | ObjectKind::ForeignDataWrapper
            | ObjectKind::ForeignServer => ACL_USAGE,
        }
    }

    /// The privileges PUBLIC has by default.
    pub fn public_default(self) -> u32 {
        match self {
            ObjectKind::Function => ACL_EXECUTE,
            ObjectKind::Type | ObjectKind::Language => ACL_USAGE,
            ObjectKind::Database => ACL_CREATE_TEMP | ACL_CONNECT,
            _ => 0,
        }
    }
}

/// One ACL item. An empty grantee is PUBLIC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclItem {
    pub grantee: String,
    pub grantor: String,
    pub privs: u32,
    /// The privileges (a subset of `privs`) held WITH GRANT OPTION.
    pub grant_options: u32,
}

/// A role name as an ACL item prints it: in double quotes unless it is all
/// letters, digits and underscores.
fn put_name(out: &mut String, name: &str) {
    if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        out.push_str(name);
    } else {
        out.push('"');
        out.push_str(&name.replace('"', "\"\""));
        out.push('"');
    }
}

/// Reads a name written by [`put_name`] from the front of `s`; the rest after it.
fn get_name(s: &str) -> Option<(String, &str)> {
    if let Some(rest) = s.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    chars.next();
                    name.push('"');
                } else {
                    return Some((name, &rest[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        None
    } else {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        Some((s[..end].to_owned(), &s[end..]))
    }
}

/// The letters of `privs` (with `*` after those in `grant_options`).
pub fn privilege_letters(privs: u32, grant_options: u32) -> String {
    let mut out = String::new();
    for (i, l) in LETTERS.iter().enumerate() {
        if privs & (1 << i) != 0 {
            out.push(*l as char);
            if grant_options & (1 << i) != 0 {
                out.push('*');
            }
        }
    }
    out
}

impl AclItem {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if !self.grantee.is_empty() {
            put_name(&mut out, &self.grantee);
        }
        out.push('=');
        out.push_str(&privilege_letters(self.privs, self.grant_options));
        out.push('/');
        put_name(&mut out, &self.grantor);
        out
    }

    /// Reads the text form ([`AclItem::to_text`]); None if it is not one.
    pub fn parse(text: &str) -> Option<AclItem> {
        let (grantee, rest) = if text.starts_with('=') {
            (String::new(), text)
        } else {
            get_name(text)?
        };
        let rest = rest.strip_prefix('=')?;
        let mut privs = 0;
        let mut grant_options = 0;
        let mut chars = rest.chars().peekable();
        let mut last = 0;
        while let Some(&c) = chars.peek() {
            if c == '/' {
                break;
            }
            chars.next();
            if c == '*' {
                grant_options |= last;
                continue;
            }
            let i = LETTERS.iter().position(|l| *l as char == c)?;
            last = 1 << i;
            privs |= last;
        }
        let rest: String = chars.collect();
        let (grantor, tail) = get_name(rest.strip_prefix('/')?)?;
        if !tail.is_empty() {
            return None;
        }
        Some(AclItem {
            grantee,
            grantor,
            privs,
            grant_options,
        })
    }
}

/// The ACL that a NULL one stands for.
pub fn default_acl(kind: ObjectKind, owner: &str) -> Vec<AclItem> {
    let mut acl = Vec::new();
    let public = kind.public_default();
    if public != 0 {
        acl.push(AclItem {
            grantee: String::new(),
            grantor: owner.to_owned(),
            privs: public,
            grant_options: 0,
        });
    }
    acl.push(AclItem {
        grantee: owner.to_owned(),
        grantor: owner.to_owned(),
        privs: kind.all_privileges(),
        grant_options: 0,
    });
    acl
}

/// An ACL read from its catalog text; `None` is the default.
pub fn from_texts(texts: Option<&[String]>, kind: ObjectKind, owner: &str) -> Vec<AclItem> {
    match texts {
        None => default_acl(kind, owner),
        Some(t) => t.iter().filter_map(|s| AclItem::parse(s)).collect(),
    }
}

pub fn to_texts(acl: &[AclItem]) -> Vec<String> {
    acl.iter().map(AclItem::to_text).collect()
}

/// GRANT: adds `privs` (and with `grant_option` their grant options) to
/// the item of (`grantee`, `grantor`), a new item at the end if none.
pub fn grant(acl: &mut Vec<AclItem>, grantee: &str, grantor: &str, privs: u32, grant_option: bool) {
    let opts = if grant_option { privs } else { 0 };
    match acl
        .iter_mut()
        .find(|i| i.grantee == grantee && i.grantor == grantor)
    {
        Some(item) => {
            item.privs |= privs;
            item.grant_options |= opts;
        }
        None if privs == 0 => {}
        None => acl.push(AclItem {
            grantee: grantee.to_owned(),
            grantor: grantor.to_owned(),
            privs,
            grant_options: opts,
        }),
    }
}

/// REVOKE: takes `privs` (or only their grant options) from the item of
/// (`grantee`, `grantor`); an item left with nothing goes.
pub fn revoke(
    acl: &mut Vec<AclItem>,
    grantee: &str,
    grantor: &str,
    privs: u32,
    grant_option_only: bool,
) {
    for item in acl
        .iter_mut()
        .filter(|i| i.grantee == grantee && i.grantor == grantor)
    {
        if !grant_option_only {
            item.privs &= !privs;
        }
        item.grant_options &= !privs;
        item.grant_options &= item.privs;
    }
    acl.retain(|i| i.privs != 0);
}

/// After a REVOKE: the items granted by a role on the strength of grant
/// options it no longer holds (PostgreSQL's dependent privileges), as
/// (grantor, privileges). The owner `owner` needs none.
pub fn dependent_grants(acl: &[AclItem], owner: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for item in acl.iter().filter(|i| i.grantor != owner) {
        let held = acl
            .iter()
            .filter(|h| h.grantee == item.grantor)
            .fold(0, |o, h| o | h.grant_options);
        let lost = item.privs & !held;
        if lost != 0 {
            out.push((item.grantor.clone(), lost));
        }
    }
    out
}

/// REVOKE ... CASCADE: takes away the dependent grants of
/// [`dependent_grants`] until none is left.
pub fn revoke_dependents(acl: &mut Vec<AclItem>, owner: &str) {
    loop {
        let deps = dependent_grants(acl, owner);
        if deps.is_empty() {
            return;
        }
        for (grantor, lost) in deps {
            for item in acl.iter_mut().filter(|i| i.grantor == grantor) {
                item.privs &= !lost;
                item.grant_options &= item.privs;
            }
        }
        acl.retain(|i| i.privs != 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip() {
        for t in [
            "postgres=arwdDxt/postgres",
            "=r/postgres",
            "alice=r*w/postgres",
            "\"we\"\"ird name\"=X/postgres",
            "Bob=UC/\"a-b\"",
        ] {
            let item = AclItem::parse(t);
            assert_eq!(item.map(|i| i.to_text()).as_deref(), Some(t));
        }
        assert!(AclItem::parse("alice=q/postgres").is_none());
    }

    #[test]
    fn grant_and_revoke() {
        let mut acl = default_acl(ObjectKind::Table, "o");
        grant(&mut acl, "", "o", ACL_SELECT, false);
        grant(&mut acl, "u", "o", ACL_SELECT | ACL_INSERT, true);
        assert_eq!(
            to_texts(&acl),
            ["o=arwdDxt/o", "=r/o", "u=a*r*/o"].map(String::from)
        );
        revoke(&mut acl, "u", "o", ACL_INSERT, true);
        revoke(&mut acl, "", "o", ACL_SELECT, false);
        assert_eq!(to_texts(&acl), ["o=arwdDxt/o", "u=ar*/o"].map(String::from));
        assert_eq!(
            to_texts(&default_acl(ObjectKind::Function, "o")),
            ["=X/o", "o=X/o"].map(String::from)
        );
    }
}
