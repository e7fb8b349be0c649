//! Default privileges (PostgreSQL's `pg_default_acl`, ALTER DEFAULT
//! PRIVILEGES).
//!
//! A row says which ACL the objects of one kind get when role
//! `defaclrole` creates them: `defaclobjtype` is `r` tables (views,
//! materialized views and foreign tables too), `S` sequences, `f`
//! functions and procedures, `T` types and domains, `n` schemas.
//!
//! ```text
//!   defaclnamespace = 0   a global entry: it replaces the kind's built-in
//!                         default (the owner's privileges, and PUBLIC's
//!                         for functions and types)
//!   defaclnamespace = s   a schema entry: its items are added to the
//!                         global entry (or the built-in default) for
//!                         objects made in schema s
//! ```
//!
//! An entry that would say the same as what it stands in for (the
//! built-in default for a global entry, nothing for a schema entry) is not
//! kept. ACLs made from entries are kept sorted by (grantee, grantor,
//! privileges) with PUBLIC first, as PostgreSQL sorts them, and an object
//! whose ACL comes out as the built-in default keeps a NULL ACL.

use catalog::acl::{self, AclItem, ObjectKind};
use catalog::heap_catalog::CatalogWriter;
use sqlparser::tokenizer::{Token, Tokenizer};
use types::{Datum, PgError, PgResult, SqlState};

use super::RoleGraph;
use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

/// `defaclobjtype` of an object kind.
pub fn objtype(kind: ObjectKind) -> char {
    match kind {
        ObjectKind::Table => 'r',
        ObjectKind::Sequence => 'S',
        ObjectKind::Function => 'f',
        ObjectKind::Type => 'T',
        ObjectKind::Schema => 'n',
        ObjectKind::Database => 'd',
        ObjectKind::Language => 'l',
        ObjectKind::ForeignDataWrapper => 'F',
        ObjectKind::ForeignServer => 'S',
    }
}

fn def() -> &'static catalog::system::CatalogDef {
    catalog::system::CATALOGS
        .iter()
        .find(|d| d.oid == catalog::empty::PG_DEFAULT_ACL)
        .expect("pg_default_acl is a catalog")
}

/// One `pg_default_acl` row.
#[derive(Debug, Clone)]
pub struct DefaultAclRow {
    pub oid: u32,
    pub role: u32,
    pub namespace: u32,
    pub objtype: char,
    pub acl: Vec<String>,
}

impl DefaultAclRow {
    fn from_datums(d: &[Datum]) -> DefaultAclRow {
        let oid_at = |i: usize| match d.get(i) {
            Some(Datum::Oid(o)) => *o,
            _ => 0,
        };
        DefaultAclRow {
            oid: oid_at(0),
            role: oid_at(1),
            namespace: oid_at(2),
            objtype: match d.get(3) {
                Some(Datum::Text(t)) => t.chars().next().unwrap_or(' '),
                _ => ' ',
            },
            acl: super::texts_of(d.get(4)).unwrap_or_default(),
        }
    }

    fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.role),
            Datum::Oid(self.namespace),
            Datum::Text(self.objtype.to_string()),
            catalog::system::acl_datum(&Some(self.acl.clone())),
        ]
    }
}

/// Every `pg_default_acl` row with where it is.
pub fn rows(session: &Session) -> PgResult<Vec<(storage::page::ItemPointer, DefaultAclRow)>> {
    with_reader(session, |r| {
        let mut out = Vec::new();
        r.scan(def(), |tid, d| {
            out.push((tid, DefaultAclRow::from_datums(&d)));
            Ok(true)
        })?;
        Ok(out)
    })
}

/// Sorts an ACL as PostgreSQL's `aclitemsort` does: by grantee, grantor
/// (role OIDs, PUBLIC first) and privileges.
fn sort(graph: &RoleGraph, items: &mut [AclItem]) {
    let oid = |name: &str| -> u32 {
        if name.is_empty() {
            0
        } else {
            graph.by_name(name).map_or(u32::MAX, |r| r.oid)
        }
    };
    items.sort_by_key(|i| {
        (
            oid(&i.grantee),
            oid(&i.grantor),
            (i.grant_options << 16) | i.privs,
        )
    });
}

/// The ACL an object of `kind` made by `owner` in schema `namespace`
/// starts with (PostgreSQL's `get_user_default_acl`): None for the
/// built-in default.
pub fn new_object_acl(
    session: &Session,
    owner: u32,
    namespace: u32,
    kind: ObjectKind,
) -> PgResult<Option<Vec<String>>> {
    let wanted = objtype(kind);
    let entries: Vec<DefaultAclRow> = rows(session)?
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| r.role == owner && r.objtype == wanted)
        .collect();
    let global = entries.iter().find(|r| r.namespace == 0);
    let schema = entries
        .iter()
        .find(|r| r.namespace != 0 && r.namespace == namespace && kind != ObjectKind::Schema);
    if global.is_none() && schema.is_none() {
        return Ok(None);
    }
    let graph = RoleGraph::load(session)?;
    let owner_name = graph.name_of(owner);
    let builtin = acl::default_acl(kind, &owner_name);
    let mut result: Vec<AclItem> = match global {
        Some(g) => acl::from_texts(Some(&g.acl), kind, &owner_name),
        None => builtin.clone(),
    };
    if let Some(s) = schema {
        for item in acl::from_texts(Some(&s.acl), kind, &owner_name) {
            acl::grant(&mut result, &item.grantee, &item.grantor, item.privs, false);
            if item.grant_options != 0 {
                acl::grant(
                    &mut result,
                    &item.grantee,
                    &item.grantor,
                    item.grant_options,
                    true,
                );
            }
        }
    }
    sort(&graph, &mut result);
    let mut builtin = builtin;
    sort(&graph, &mut builtin);
    if result == builtin {
        return Ok(None);
    }
    Ok(Some(acl::to_texts(&result)))
}

/// Gives relation `oid`, just made, the ACL its owner's default
/// privileges say (nothing to do when they say the built-in default).
pub fn apply_to_relation(session: &mut Session, oid: u32) -> PgResult<()> {
    if !has_entries(session)? {
        return Ok(());
    }
    crate::xact::command_counter_increment(session)?;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Ok(());
    };
    let kind = super::relation_kind(class.kind);
    let Some(acl) = new_object_acl(session, class.owner, class.namespace, kind)? else {
        return Ok(());
    };
    class.acl = Some(acl);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    crate::xact::command_counter_increment(session)
}

/// Gives type `oid` (a type or domain just made) the ACL its owner's
/// default privileges say.
pub fn apply_to_type(session: &mut Session, oid: u32) -> PgResult<()> {
    if !has_entries(session)? {
        return Ok(());
    }
    crate::xact::command_counter_increment(session)?;
    let Some((tid, mut datums)) = super::type_row(session, oid)? else {
        return Ok(());
    };
    let row = super::TypeAclRow::from_datums(&datums);
    let namespace = match datums.get(2) {
        Some(Datum::Oid(o)) => *o,
        _ => 0,
    };
    let Some(acl) = new_object_acl(session, row.owner, namespace, ObjectKind::Type)? else {
        return Ok(());
    };
    datums[super::TYPACL] = catalog::system::acl_datum(&Some(acl));
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_type(tid, &datums, w)
    })?;
    crate::xact::command_counter_increment(session)
}

/// Whether `pg_default_acl` has any row (most databases have none: the
/// common case costs one look).
fn has_entries(session: &Session) -> PgResult<bool> {
    with_reader(session, |r| {
        let mut any = false;
        r.scan(def(), |_, _| {
            any = true;
            Ok(false)
        })?;
        Ok(any)
    })
}

/// The words of the statement's text, whitespace left out.
fn tokens(text: &str) -> PgResult<Vec<Token>> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    Ok(Tokenizer::new(&dialect, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
        .collect())
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word(x)) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

fn syntax_at(t: Option<&Token>) -> PgError {
    match t {
        Some(t) => PgError::syntax(format!("syntax error at or near \"{t}\""), None),
        None => PgError::syntax("syntax error at end of input", None),
    }
}

/// A comma-separated list of names from `at`; the position after it.
fn name_list(toks: &[Token], mut at: usize) -> PgResult<(Vec<String>, usize)> {
    let mut out = Vec::new();
    loop {
        match toks.get(at) {
            Some(Token::Word(w)) => {
                out.push(match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_lowercase(),
                });
                at += 1;
            }
            other => return Err(syntax_at(other)),
        }
        if toks.get(at) != Some(&Token::Comma) {
            return Ok((out, at));
        }
        at += 1;
    }
}

/// `ALTER DEFAULT PRIVILEGES [FOR ROLE r, ...] [IN SCHEMA s, ...]
/// GRANT | REVOKE ... ON TABLES | SEQUENCES | FUNCTIONS | ROUTINES |
/// TYPES | SCHEMAS ...` (arrives as text:
/// `syntax::TextStatement::AlterDefaultPrivileges`).
pub fn alter_default_privileges(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER DEFAULT PRIVILEGES")?;
    let toks = tokens(text)?;
    let mut at = 3;
    if !(is_word(toks.first(), "alter")
        && is_word(toks.get(1), "default")
        && is_word(toks.get(2), "privileges"))
    {
        return Err(syntax_at(toks.get(2)));
    }
    let (mut roles, mut schemas) = (None, None);
    loop {
        if is_word(toks.get(at), "for")
            && (is_word(toks.get(at + 1), "role") || is_word(toks.get(at + 1), "user"))
        {
            if roles.is_some() {
                return Err(PgError::syntax("conflicting or redundant options", None));
            }
            let (names, next) = name_list(&toks, at + 2)?;
            roles = Some(names);
            at = next;
        } else if is_word(toks.get(at), "in") && is_word(toks.get(at + 1), "schema") {
            if schemas.is_some() {
                return Err(PgError::syntax("conflicting or redundant options", None));
            }
            let (names, next) = name_list(&toks, at + 2)?;
            schemas = Some(names);
            at = next;
        } else {
            break;
        }
    }
    if !(is_word(toks.get(at), "grant") || is_word(toks.get(at), "revoke")) {
        return Err(syntax_at(toks.get(at)));
    }
    // The object kind: the word after the first ON.
    let on = (at..toks.len())
        .find(|&i| is_word(toks.get(i), "on"))
        .ok_or_else(|| syntax_at(None))?;
    let kind_word = match toks.get(on + 1) {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_lowercase(),
        other => return Err(syntax_at(other)),
    };
    let kind = match kind_word.as_str() {
        "tables" => ObjectKind::Table,
        "sequences" => ObjectKind::Sequence,
        "functions" | "routines" => ObjectKind::Function,
        "types" => ObjectKind::Type,
        "schemas" => ObjectKind::Schema,
        _ => return Err(syntax_at(toks.get(on + 1))),
    };
    // The rest reads as a GRANT / REVOKE on a table of a placeholder name.
    let mut sql = String::new();
    for t in &toks[at..=on] {
        sql.push_str(&t.to_string());
        sql.push(' ');
    }
    sql.push_str("TABLE \"\u{1}\" ");
    for t in &toks[on + 2..] {
        sql.push_str(&t.to_string());
        sql.push(' ');
    }
    let stmts = crate::syntax::parse(&sql)?;
    let (is_grant, privileges, grantees, option, cascade) = match stmts.as_slice() {
        [sqlparser::ast::Statement::Grant(g)] => {
            (true, &g.privileges, &g.grantees, g.with_grant_option, false)
        }
        [sqlparser::ast::Statement::Revoke(r)] => (
            false,
            &r.privileges,
            &r.grantees,
            r.grant_option_for,
            matches!(r.cascade, Some(sqlparser::ast::CascadeOption::Cascade)),
        ),
        _ => return Err(syntax_at(toks.get(at))),
    };
    let bits = privilege_bits(privileges, kind, &kind_word)?;
    let grantees = crate::commands::grant::grantee_list(session, grantees)?;
    if is_grant && option && grantees.iter().any(String::is_empty) {
        return Err(PgError::new(
            SqlState::InvalidGrantOperation,
            "grant options can only be granted to roles",
        ));
    }
    let graph = RoleGraph::load(session)?;
    let role_oids: Vec<u32> = match &roles {
        None => vec![session.user_oid],
        Some(names) => {
            let mut out = Vec::new();
            for n in names {
                let r = graph.require(n)?;
                if !graph.is_member_of(session.user_oid, r.oid) {
                    return Err(PgError::new(
                        SqlState::InsufficientPrivilege,
                        format!("must be member of role \"{}\"", r.name),
                    ));
                }
                out.push(r.oid);
            }
            out
        }
    };
    let namespaces: Vec<u32> = match &schemas {
        None => vec![0],
        Some(names) => {
            let mut out = Vec::new();
            for n in names {
                let oid = crate::relcache::namespace_oid(session, n)?.ok_or_else(|| {
                    PgError::new(
                        SqlState::InvalidSchemaName,
                        format!("schema \"{n}\" does not exist"),
                    )
                })?;
                out.push(oid);
            }
            out
        }
    };
    for &role in &role_oids {
        for &namespace in &namespaces {
            if kind == ObjectKind::Schema && namespace != 0 {
                return Err(PgError::new(
                    SqlState::InvalidGrantOperation,
                    "cannot use IN SCHEMA clause when using GRANT/REVOKE ON SCHEMAS",
                ));
            }
            set_default_acl(
                session,
                &graph,
                (role, namespace, kind),
                (is_grant, bits, option, cascade),
                &grantees,
            )?;
        }
    }
    Ok(Outcome::Command("ALTER DEFAULT PRIVILEGES".into()))
}

/// The privileges of the statement's list for `kind`, with PostgreSQL's
/// error for one the kind has not.
fn privilege_bits(
    p: &sqlparser::ast::Privileges,
    kind: ObjectKind,
    kind_word: &str,
) -> PgResult<u32> {
    use sqlparser::ast::{Action, Privileges};
    let actions = match p {
        Privileges::All { .. } => return Ok(kind.all_privileges()),
        Privileges::Actions(a) => a,
    };
    let what = match kind_word {
        "tables" => "relation",
        "sequences" => "sequence",
        "functions" => "function",
        "routines" => "routine",
        "types" => "type",
        _ => "schema",
    };
    let mut bits = 0;
    for a in actions {
        let (bit, name) = match a {
            Action::Select { columns }
            | Action::Insert { columns }
            | Action::Update { columns }
            | Action::References { columns }
                if columns.is_some() =>
            {
                return Err(PgError::new(
                    SqlState::InvalidGrantOperation,
                    "default privileges cannot be set for columns",
                ));
            }
            Action::Select { .. } => (acl::ACL_SELECT, "SELECT"),
            Action::Insert { .. } => (acl::ACL_INSERT, "INSERT"),
            Action::Update { .. } => (acl::ACL_UPDATE, "UPDATE"),
            Action::References { .. } => (acl::ACL_REFERENCES, "REFERENCES"),
            Action::Delete => (acl::ACL_DELETE, "DELETE"),
            Action::Truncate => (acl::ACL_TRUNCATE, "TRUNCATE"),
            Action::Trigger => (acl::ACL_TRIGGER, "TRIGGER"),
            Action::Execute { obj_type: None } => (acl::ACL_EXECUTE, "EXECUTE"),
            Action::Usage => (acl::ACL_USAGE, "USAGE"),
            Action::Create { obj_type: None } => (acl::ACL_CREATE, "CREATE"),
            Action::Temporary => (acl::ACL_CREATE_TEMP, "TEMPORARY"),
            Action::Connect => (acl::ACL_CONNECT, "CONNECT"),
            other => {
                return Err(PgError::syntax(
                    format!("unrecognized privilege type \"{other}\""),
                    None,
                ));
            }
        };
        if kind.all_privileges() & bit == 0 {
            return Err(PgError::new(
                SqlState::InvalidGrantOperation,
                format!("invalid privilege type {name} for {what}"),
            ));
        }
        bits |= bit;
    }
    Ok(bits)
}

/// One entry's change (PostgreSQL's `SetDefaultACL`): the grantor is the
/// entry's role.
fn set_default_acl(
    session: &mut Session,
    graph: &RoleGraph,
    (role, namespace, kind): (u32, u32, ObjectKind),
    (is_grant, bits, option, cascade): (bool, u32, bool, bool),
    grantees: &[String],
) -> PgResult<()> {
    let role_name = graph.name_of(role);
    let wanted = objtype(kind);
    let existing = rows(session)?
        .into_iter()
        .find(|(_, r)| r.role == role && r.namespace == namespace && r.objtype == wanted);
    let mut default = if namespace == 0 {
        acl::default_acl(kind, &role_name)
    } else {
        Vec::new()
    };
    let mut items = match &existing {
        Some((_, r)) => acl::from_texts(Some(&r.acl), kind, &role_name),
        None => default.clone(),
    };
    for g in grantees {
        if is_grant {
            acl::grant(&mut items, g, &role_name, bits, option);
        } else {
            acl::revoke(&mut items, g, &role_name, bits, option);
        }
    }
    if !is_grant && !acl::dependent_grants(&items, &role_name).is_empty() {
        if !cascade {
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                "dependent privileges exist",
            )
            .with_hint("Use CASCADE to revoke them too."));
        }
        acl::revoke_dependents(&mut items, &role_name);
    }
    sort(graph, &mut items);
    sort(graph, &mut default);
    let db = session.database_oid;
    if items == default {
        if let Some((tid, _)) = existing {
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.delete_row(def(), tid, w)
            })?;
        }
    } else {
        let texts = acl::to_texts(&items);
        match existing {
            Some((tid, mut row)) => {
                row.acl = texts;
                crate::xact::with_write(session, |env, w| {
                    CatalogWriter { env, db_oid: db }.replace_row(def(), tid, &row.to_datums(), w)
                })?;
            }
            None => {
                crate::xact::ensure_xid(session)?;
                let row = DefaultAclRow {
                    oid: session.storage.transam.new_oid()?,
                    role,
                    namespace,
                    objtype: wanted,
                    acl: texts,
                };
                crate::xact::with_write(session, |env, w| {
                    CatalogWriter { env, db_oid: db }
                        .insert_row(def(), &row.to_datums(), w)
                        .map(|_| ())
                })?;
            }
        }
    }
    crate::xact::command_counter_increment(session)
}

/// DROP OWNED: `role`'s entries go, and the privileges other entries give
/// it.
pub fn drop_owned(session: &mut Session, role: &catalog::system::AuthidRow) -> PgResult<()> {
    let db = session.database_oid;
    for (tid, mut row) in rows(session)? {
        if row.role == role.oid {
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.delete_row(def(), tid, w)
            })?;
            continue;
        }
        let before = row.acl.len();
        row.acl
            .retain(|t| AclItem::parse(t).is_none_or(|i| i.grantee != role.name));
        if row.acl.len() != before {
            crate::xact::with_write(session, |env, w| {
                if row.acl.is_empty() && row.namespace != 0 {
                    CatalogWriter { env, db_oid: db }.delete_row(def(), tid, w)
                } else {
                    CatalogWriter { env, db_oid: db }.replace_row(def(), tid, &row.to_datums(), w)
                }
            })?;
        }
    }
    crate::xact::command_counter_increment(session)
}

/// DROP ROLE's list of what depends on `role` here: its entries, in
/// PostgreSQL's words.
pub fn role_dependents(
    session: &Session,
    role: &catalog::system::AuthidRow,
) -> PgResult<Vec<(u32, String)>> {
    let mut out = Vec::new();
    for (_, row) in rows(session)? {
        let mentioned = row
            .acl
            .iter()
            .filter_map(|t| AclItem::parse(t))
            .any(|i| i.grantee == role.name);
        if row.role != role.oid && !mentioned {
            continue;
        }
        let what = match row.objtype {
            'r' => "new relations",
            'S' => "new sequences",
            'f' => "new functions",
            'T' => "new types",
            _ => "new schemas",
        };
        let owner = RoleGraph::load(session)?.name_of(row.role);
        let mut text = if row.role == role.oid {
            format!("owner of default privileges on {what} belonging to role {owner}")
        } else {
            format!("privileges for default privileges on {what} belonging to role {owner}")
        };
        if row.namespace != 0 {
            let schema =
                with_reader(session, |r| r.namespace_name(row.namespace))?.unwrap_or_default();
            text.push_str(&format!(" in schema {schema}"));
        }
        out.push((row.oid, text));
    }
    Ok(out)
}
