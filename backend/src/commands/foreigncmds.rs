//! Foreign-data wrappers, foreign servers and user mappings as catalog
//! objects (PostgreSQL's `commands/foreigncmds.c`, without any wrapper able
//! to reach data: PostgreSQL 15 installs none by default either).
//!
//! - A wrapper is a `pg_foreign_data_wrapper` row: its owner (always a
//!   superuser), handler and validator functions, ACL and options.
//! - A server is a `pg_foreign_server` row naming its wrapper; creating one
//!   needs USAGE on the wrapper.
//! - A user mapping is a `pg_user_mapping` row (`umuser` 0 is PUBLIC).
//!
//! Options are `text[]` of `name=value`, changed by the generic option list
//! (`OPTIONS (ADD a '1', SET b '2', DROP c)`), then handed to the wrapper's
//! validator. The only validator that exists is the built-in
//! `postgresql_fdw_validator` (the libpq connection options, each valid in
//! the server or the user-mapping context); a user-defined validator is
//! recorded but never called.
//!
//! Dependencies are read from the catalogs themselves rather than
//! `pg_depend`: a server depends on its wrapper, a user mapping on its
//! server. DROP ... CASCADE drops them in that order.
//!
//! sqlparser knows none of these statements: the pre-parser keeps them as
//! text (`syntax::TextStatement::Foreign`) and the publication module's
//! `Tokens` reads them.

use sqlparser::tokenizer::Token;

use catalog::acl::{self as cacl, ObjectKind};
use catalog::heap_catalog::CatalogWriter;
use catalog::system::CatalogDef;
use storage::heap::heapam::WriteXact;
use storage::page::ItemPointer;
use types::datum::{ArrayValue, Datum};
use types::{PgError, PgResult, SqlState};

use super::catalog_changed;
use super::publication::Tokens;
use crate::acl::{RoleGraph, must_be_owner, permission_denied};
use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

/// `pg_proc` OID of the built-in `postgresql_fdw_validator(text[], oid)`.
pub const POSTGRESQL_FDW_VALIDATOR: u32 = 2316;
/// `pg_type` OID of `fdw_handler`.
const FDW_HANDLER_TYPE: u32 = 3115;

pub const PG_FOREIGN_DATA_WRAPPER: u32 = catalog::empty::PG_FOREIGN_DATA_WRAPPER;
pub const PG_FOREIGN_SERVER: u32 = catalog::empty::PG_FOREIGN_SERVER;
pub const PG_USER_MAPPING: u32 = catalog::empty::PG_USER_MAPPING;

fn def(oid: u32) -> &'static CatalogDef {
    catalog::system::CATALOGS
        .iter()
        .find(|d| d.oid == oid)
        .expect("a foreign-data catalog")
}

fn oid_at(r: &[Datum], i: usize) -> u32 {
    match r.get(i) {
        Some(Datum::Oid(o)) => *o,
        _ => 0,
    }
}

fn text_at(r: &[Datum], i: usize) -> Option<String> {
    match r.get(i) {
        Some(Datum::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

fn text_array(items: &[String]) -> Datum {
    if items.is_empty() {
        return Datum::Null;
    }
    Datum::Array(Box::new(ArrayValue::new(
        types::oid::TEXT,
        items.iter().cloned().map(Datum::Text).collect(),
    )))
}

/// A `pg_foreign_data_wrapper` row.
#[derive(Clone)]
struct Wrapper {
    tid: ItemPointer,
    oid: u32,
    name: String,
    owner: u32,
    handler: u32,
    validator: u32,
    acl: Option<Vec<String>>,
    options: Vec<String>,
}

impl Wrapper {
    fn from_datums(tid: ItemPointer, r: &[Datum]) -> Wrapper {
        Wrapper {
            tid,
            oid: oid_at(r, 0),
            name: text_at(r, 1).unwrap_or_default(),
            owner: oid_at(r, 2),
            handler: oid_at(r, 3),
            validator: oid_at(r, 4),
            acl: crate::acl::texts_of(r.get(5)),
            options: crate::acl::texts_of(r.get(6)).unwrap_or_default(),
        }
    }

    fn datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.owner),
            Datum::Oid(self.handler),
            Datum::Oid(self.validator),
            catalog::system::acl_datum(&self.acl),
            text_array(&self.options),
        ]
    }
}

/// A `pg_foreign_server` row.
#[derive(Clone)]
struct Server {
    tid: ItemPointer,
    oid: u32,
    name: String,
    owner: u32,
    fdw: u32,
    kind: Option<String>,
    version: Option<String>,
    acl: Option<Vec<String>>,
    options: Vec<String>,
}

impl Server {
    fn from_datums(tid: ItemPointer, r: &[Datum]) -> Server {
        Server {
            tid,
            oid: oid_at(r, 0),
            name: text_at(r, 1).unwrap_or_default(),
            owner: oid_at(r, 2),
            fdw: oid_at(r, 3),
            kind: text_at(r, 4),
            version: text_at(r, 5),
            acl: crate::acl::texts_of(r.get(6)),
            options: crate::acl::texts_of(r.get(7)).unwrap_or_default(),
        }
    }

    fn datums(&self) -> Vec<Datum> {
        let opt = |v: &Option<String>| v.clone().map_or(Datum::Null, Datum::Text);
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.owner),
            Datum::Oid(self.fdw),
            opt(&self.kind),
            opt(&self.version),
            catalog::system::acl_datum(&self.acl),
            text_array(&self.options),
        ]
    }
}

/// A `pg_user_mapping` row (`user` 0 is PUBLIC).
#[derive(Clone)]
struct Mapping {
    tid: ItemPointer,
    oid: u32,
    user: u32,
    server: u32,
    options: Vec<String>,
}

impl Mapping {
    fn from_datums(tid: ItemPointer, r: &[Datum]) -> Mapping {
        Mapping {
            tid,
            oid: oid_at(r, 0),
            user: oid_at(r, 1),
            server: oid_at(r, 2),
            options: crate::acl::texts_of(r.get(3)).unwrap_or_default(),
        }
    }

    fn datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.user),
            Datum::Oid(self.server),
            text_array(&self.options),
        ]
    }
}

fn scan<T>(
    session: &Session,
    catalog: u32,
    make: impl Fn(ItemPointer, &[Datum]) -> T,
) -> PgResult<Vec<T>> {
    let mut out = Vec::new();
    with_reader(session, |r| {
        r.scan(def(catalog), |tid, row| {
            out.push(make(tid, &row));
            Ok(true)
        })
    })?;
    Ok(out)
}

fn wrappers(session: &Session) -> PgResult<Vec<Wrapper>> {
    scan(session, PG_FOREIGN_DATA_WRAPPER, Wrapper::from_datums)
}

fn servers(session: &Session) -> PgResult<Vec<Server>> {
    scan(session, PG_FOREIGN_SERVER, Server::from_datums)
}

fn mappings(session: &Session) -> PgResult<Vec<Mapping>> {
    scan(session, PG_USER_MAPPING, Mapping::from_datums)
}

fn find_wrapper(session: &Session, name: &str) -> PgResult<Option<Wrapper>> {
    Ok(wrappers(session)?.into_iter().find(|w| w.name == name))
}

fn find_server(session: &Session, name: &str) -> PgResult<Option<Server>> {
    Ok(servers(session)?.into_iter().find(|s| s.name == name))
}

fn wrapper_missing(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("foreign-data wrapper \"{name}\" does not exist"),
    )
}

fn server_missing(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("server \"{name}\" does not exist"),
    )
}

fn require_wrapper(session: &Session, name: &str) -> PgResult<Wrapper> {
    find_wrapper(session, name)?.ok_or_else(|| wrapper_missing(name))
}

fn require_server(session: &Session, name: &str) -> PgResult<Server> {
    find_server(session, name)?.ok_or_else(|| server_missing(name))
}

fn write(
    session: &mut Session,
    f: impl FnOnce(&CatalogWriter<'_, '_, 'static>, &mut WriteXact<'_>) -> PgResult<()>,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| f(&CatalogWriter { env, db_oid: db }, w))
}

fn insert(session: &mut Session, catalog: u32, row: Vec<Datum>) -> PgResult<()> {
    write(session, |cw, w| {
        cw.insert_row(def(catalog), &row, w).map(|_| ())
    })
}

fn replace(session: &mut Session, catalog: u32, tid: ItemPointer, row: Vec<Datum>) -> PgResult<()> {
    write(session, |cw, w| cw.replace_row(def(catalog), tid, &row, w))
}

/// Deletes a row and the comment on its object.
fn delete(session: &mut Session, catalog: u32, tid: ItemPointer, oid: u32) -> PgResult<()> {
    let comments = with_reader(session, |r| r.description_rows(catalog, oid, None))?;
    write(session, |cw, w| {
        cw.delete_row(def(catalog), tid, w)?;
        cw.delete_rows(&comments, w)
    })
}

/// Runs a CREATE, ALTER or DROP of a foreign-data wrapper, server or user
/// mapping.
pub fn foreign_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let mut t = Tokens::new(text)?;
    let verb = t.ident()?;
    crate::xact::check_writable(session, &verb.to_uppercase())?;
    let foreign_table = t.peek_kw("foreign")
        && matches!(t.t.get(t.i + 1), Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("table"));
    let out = if verb == "import" {
        import_foreign_schema(session, &mut t)
    } else if foreign_table {
        match verb.as_str() {
            "create" => create_foreign_table(session, text),
            "alter" => alter_foreign_table_options(session, &mut t),
            _ => Err(t.error()),
        }
    } else if t.eat_kw("foreign") {
        t.expect_kw("data")?;
        t.expect_kw("wrapper")?;
        match verb.as_str() {
            "create" => create_wrapper(session, &mut t),
            "alter" => alter_wrapper(session, &mut t),
            _ => drop_wrapper(session, &mut t),
        }
    } else if t.eat_kw("server") {
        match verb.as_str() {
            "create" => create_server(session, &mut t),
            "alter" => alter_server(session, &mut t),
            _ => drop_server(session, &mut t),
        }
    } else {
        t.expect_kw("user")?;
        t.expect_kw("mapping")?;
        match verb.as_str() {
            "create" => create_mapping(session, &mut t),
            "alter" => alter_mapping(session, &mut t),
            _ => drop_mapping(session, &mut t),
        }
    }?;
    catalog_changed(session);
    Ok(out)
}

// --- generic options ---

#[derive(Clone, Copy, PartialEq)]
enum OptionAction {
    Add,
    Set,
    Drop,
}

/// `OPTIONS ( [ADD | SET | DROP] name ['value'], ... )`; actions only when
/// `alter`.
fn parse_options(t: &mut Tokens, alter: bool) -> PgResult<Vec<(OptionAction, String, String)>> {
    t.expect(&Token::LParen)?;
    let mut out = Vec::new();
    loop {
        let mut action = OptionAction::Add;
        if alter && matches!(t.t.get(t.i + 1), Some(Token::Word(_))) {
            if t.eat_kw("add") {
            } else if t.eat_kw("set") {
                action = OptionAction::Set;
            } else if t.eat_kw("drop") {
                action = OptionAction::Drop;
            }
        }
        let name = t.ident()?;
        let value = if action == OptionAction::Drop {
            String::new()
        } else {
            t.string()?
        };
        out.push((action, name, value));
        if !t.eat(&Token::Comma) {
            break;
        }
    }
    t.expect(&Token::RParen)?;
    Ok(out)
}

fn option_name(item: &str) -> &str {
    item.split_once('=').map_or(item, |(n, _)| n)
}

/// Applies an option list to `current` (PostgreSQL's
/// transformGenericOptions) and runs the validator on the result.
fn transform_options(
    context: u32,
    current: &[String],
    changes: &[(OptionAction, String, String)],
    validator: u32,
) -> PgResult<Vec<String>> {
    let mut out: Vec<String> = current.to_vec();
    for (action, name, value) in changes {
        let at = out.iter().position(|o| option_name(o) == name);
        match (action, at) {
            (OptionAction::Set | OptionAction::Drop, None) => {
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!("option \"{name}\" not found"),
                ));
            }
            (OptionAction::Set, Some(i)) => out[i] = format!("{name}={value}"),
            (OptionAction::Drop, Some(i)) => {
                out.remove(i);
            }
            (OptionAction::Add, Some(_)) => {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("option \"{name}\" provided more than once"),
                ));
            }
            (OptionAction::Add, None) => out.push(format!("{name}={value}")),
        }
    }
    if validator == POSTGRESQL_FDW_VALIDATOR {
        postgresql_fdw_validator(context, &out)?;
    }
    Ok(out)
}

/// The libpq connection options `postgresql_fdw_validator` admits, with
/// the catalog whose options may hold each.
const LIBPQ_OPTIONS: [(&str, u32); 14] = [
    ("authtype", PG_FOREIGN_SERVER),
    ("service", PG_FOREIGN_SERVER),
    ("user", PG_USER_MAPPING),
    ("password", PG_USER_MAPPING),
    ("connect_timeout", PG_FOREIGN_SERVER),
    ("dbname", PG_FOREIGN_SERVER),
    ("host", PG_FOREIGN_SERVER),
    ("hostaddr", PG_FOREIGN_SERVER),
    ("port", PG_FOREIGN_SERVER),
    ("tty", PG_FOREIGN_SERVER),
    ("options", PG_FOREIGN_SERVER),
    ("requiressl", PG_FOREIGN_SERVER),
    ("sslmode", PG_FOREIGN_SERVER),
    ("gsslib", PG_FOREIGN_SERVER),
];

/// The built-in validator: every option must be a libpq option of the
/// context (42601 otherwise, naming those that are).
fn postgresql_fdw_validator(context: u32, options: &[String]) -> PgResult<()> {
    for o in options {
        let name = option_name(o);
        if LIBPQ_OPTIONS
            .iter()
            .any(|(n, c)| *n == name && *c == context)
        {
            continue;
        }
        let valid: Vec<&str> = LIBPQ_OPTIONS
            .iter()
            .filter(|(_, c)| *c == context)
            .map(|(n, _)| *n)
            .collect();
        let err = PgError::new(SqlState::SyntaxError, format!("invalid option \"{name}\""));
        return Err(if valid.is_empty() {
            err.with_hint("There are no valid options in this context.")
        } else {
            err.with_hint(format!(
                "Valid options in this context are: {}",
                valid.join(", ")
            ))
        });
    }
    Ok(())
}

// --- privileges ---

fn graph(session: &Session) -> PgResult<RoleGraph> {
    RoleGraph::load(session)
}

fn is_owner(session: &Session, owner: u32) -> PgResult<bool> {
    Ok(session.is_superuser || graph(session)?.has_privs_of(session.user_oid, owner))
}

/// Whether `user` holds USAGE on an object of `kind` owned by `owner`
/// with ACL `acl`.
fn has_usage(
    graph: &RoleGraph,
    kind: ObjectKind,
    user: u32,
    owner: u32,
    acl: Option<&[String]>,
) -> bool {
    if graph.is_superuser(user) {
        return true;
    }
    let items = cacl::from_texts(acl, kind, &graph.name_of(owner));
    crate::acl::acl_mask(graph, user, owner, &items).0 & cacl::ACL_USAGE != 0
}

/// The role a role specification names: 0 for PUBLIC.
fn role_spec(session: &Session, name: &str, quoted: bool) -> PgResult<Option<u32>> {
    if !quoted {
        match name {
            "current_user" | "user" | "current_role" => return Ok(Some(session.user_oid)),
            "session_user" => {
                let g = graph(session)?;
                return Ok(g.by_name(&session.auth.session.name).map(|r| r.oid));
            }
            "public" => return Ok(Some(0)),
            _ => {}
        }
    }
    Ok(graph(session)?.by_name(name).map(|r| r.oid))
}

/// `name` of a role for messages ("public" for 0).
fn mapping_user_name(session: &Session, user: u32) -> PgResult<String> {
    if user == 0 {
        return Ok("public".into());
    }
    Ok(graph(session)?.name_of(user))
}

fn read_role(t: &mut Tokens) -> PgResult<(String, bool)> {
    let quoted = matches!(t.peek(), Some(Token::Word(w)) if w.quote_style.is_some());
    Ok((t.ident()?, quoted))
}

/// `OWNER TO role`: the new owner's OID.
fn owner_to(session: &Session, t: &mut Tokens) -> PgResult<u32> {
    let (role, quoted) = read_role(t)?;
    t.end()?;
    match role_spec(session, &role, quoted)? {
        Some(0) | None => Err(crate::acl::role_not_found(&role)),
        Some(o) => Ok(o),
    }
}

// --- function lookup ---

fn lookup_function(
    session: &Session,
    name: &str,
    args: &[u32],
) -> PgResult<Option<catalog::system::ProcRow>> {
    let mut found = None;
    with_reader(session, |r| {
        r.scan(&catalog::system::PG_PROC_DEF, |_, row| {
            let p = catalog::system::ProcRow::from_datums(&row);
            if p.name == name && p.arg_types == args {
                found = Some(p);
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    Ok(found)
}

fn handler_function(session: &Session, name: &str) -> PgResult<u32> {
    let Some(p) = lookup_function(session, name, &[])? else {
        return Err(PgError::new(
            SqlState::UndefinedFunction,
            format!("function {name}() does not exist"),
        ));
    };
    if p.ret_type != FDW_HANDLER_TYPE {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("function {name} must return type fdw_handler"),
        ));
    }
    Ok(p.oid)
}

fn validator_function(session: &Session, name: &str) -> PgResult<u32> {
    if name == "postgresql_fdw_validator" {
        return Ok(POSTGRESQL_FDW_VALIDATOR);
    }
    match lookup_function(session, name, &[types::oid::TEXT_ARRAY, types::oid::OID])? {
        Some(p) => Ok(p.oid),
        None => Err(PgError::new(
            SqlState::UndefinedFunction,
            format!("function {name}(text[], oid) does not exist"),
        )),
    }
}

fn conflicting() -> PgError {
    PgError::syntax("conflicting or redundant options", None)
}

/// `HANDLER f | NO HANDLER | VALIDATOR f | NO VALIDATOR`, repeated: the
/// handler and validator given (Some(0) for NO).
fn parse_func_options(session: &Session, t: &mut Tokens) -> PgResult<(Option<u32>, Option<u32>)> {
    // Each function is looked up as it is read, as PostgreSQL does: a
    // missing one is reported before a repeated clause.
    let (mut handler, mut validator) = (None, None);
    loop {
        let no = t.peek_kw("no");
        if no {
            t.i += 1;
        }
        if t.eat_kw("handler") {
            if handler.is_some() {
                return Err(conflicting());
            }
            handler = Some(if no {
                0
            } else {
                handler_function(session, &t.ident()?)?
            });
        } else if t.eat_kw("validator") {
            if validator.is_some() {
                return Err(conflicting());
            }
            validator = Some(if no {
                0
            } else {
                validator_function(session, &t.ident()?)?
            });
        } else if no {
            return Err(t.error());
        } else {
            break;
        }
    }
    Ok((handler, validator))
}

// --- foreign-data wrappers ---

fn create_wrapper(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    let (handler, validator) = parse_func_options(session, t)?;
    let options = if t.eat_kw("options") {
        parse_options(t, false)?
    } else {
        Vec::new()
    };
    t.end()?;
    if !session.is_superuser {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied to create foreign-data wrapper \"{name}\""),
        )
        .with_hint("Must be superuser to create a foreign-data wrapper."));
    }
    if find_wrapper(session, &name)?.is_some() {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("foreign-data wrapper \"{name}\" already exists"),
        ));
    }
    let validator = validator.unwrap_or(0);
    let options = transform_options(PG_FOREIGN_DATA_WRAPPER, &[], &options, validator)?;
    let w = Wrapper {
        tid: ItemPointer::default(),
        oid: session.storage.transam.new_oid()?,
        name,
        owner: session.user_oid,
        handler: handler.unwrap_or(0),
        validator,
        acl: None,
        options,
    };
    insert(session, PG_FOREIGN_DATA_WRAPPER, w.datums())?;
    Ok(Outcome::Command("CREATE FOREIGN DATA WRAPPER".into()))
}

fn alter_wrapper(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    let done = Ok(Outcome::Command("ALTER FOREIGN DATA WRAPPER".into()));
    if t.eat_kw("rename") {
        t.expect_kw("to")?;
        let to = t.ident()?;
        t.end()?;
        let mut w = require_wrapper(session, &name)?;
        if !is_owner(session, w.owner)? {
            return Err(must_be_owner("foreign-data wrapper", &name));
        }
        if find_wrapper(session, &to)?.is_some() {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("foreign-data wrapper \"{to}\" already exists"),
            ));
        }
        w.name = to;
        replace(session, PG_FOREIGN_DATA_WRAPPER, w.tid, w.datums())?;
        return done;
    }
    if t.eat_kw("owner") {
        t.expect_kw("to")?;
        let owner = owner_to(session, t)?;
        let mut w = require_wrapper(session, &name)?;
        if !session.is_superuser {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                format!("permission denied to change owner of foreign-data wrapper \"{name}\""),
            )
            .with_hint("Must be superuser to change owner of a foreign-data wrapper."));
        }
        if !graph(session)?.is_superuser(owner) {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                format!("permission denied to change owner of foreign-data wrapper \"{name}\""),
            )
            .with_hint("The owner of a foreign-data wrapper must be a superuser."));
        }
        if w.owner != owner {
            let g = graph(session)?;
            w.acl =
                crate::acl::acl_new_owner(w.acl.as_deref(), &g.name_of(w.owner), &g.name_of(owner));
            w.owner = owner;
            replace(session, PG_FOREIGN_DATA_WRAPPER, w.tid, w.datums())?;
        }
        return done;
    }
    let (handler, validator) = parse_func_options(session, t)?;
    let options = if t.eat_kw("options") {
        Some(parse_options(t, true)?)
    } else {
        None
    };
    if handler.is_none() && validator.is_none() && options.is_none() {
        return Err(match t.peek() {
            None => PgError::syntax("syntax error at or near \";\"", None),
            _ => t.error(),
        });
    }
    t.end()?;
    if !session.is_superuser {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied to alter foreign-data wrapper \"{name}\""),
        )
        .with_hint("Must be superuser to alter a foreign-data wrapper."));
    }
    let mut w = require_wrapper(session, &name)?;
    if let Some(h) = handler {
        w.handler = h;
        session.warn(
            "01000",
            "changing the foreign-data wrapper handler can change behavior of existing foreign tables",
        );
    }
    if let Some(v) = validator {
        w.validator = v;
    }
    if validator.is_some_and(|v| v != 0) {
        session.warn(
            "01000",
            "changing the foreign-data wrapper validator can cause the options for dependent objects to become invalid",
        );
    }
    if let Some(options) = options {
        w.options = transform_options(PG_FOREIGN_DATA_WRAPPER, &w.options, &options, w.validator)?;
    }
    replace(session, PG_FOREIGN_DATA_WRAPPER, w.tid, w.datums())?;
    done
}

fn if_exists(t: &mut Tokens) -> PgResult<bool> {
    if t.eat_kw("if") {
        t.expect_kw("exists")?;
        return Ok(true);
    }
    Ok(false)
}

fn if_not_exists(t: &mut Tokens) -> PgResult<bool> {
    if t.eat_kw("if") {
        t.expect_kw("not")?;
        t.expect_kw("exists")?;
        return Ok(true);
    }
    Ok(false)
}

/// `CASCADE` (true) or `RESTRICT` / nothing.
fn drop_behavior(t: &mut Tokens) -> PgResult<bool> {
    let cascade = t.eat_kw("cascade");
    if !cascade {
        let _ = t.eat_kw("restrict");
    }
    t.end()?;
    Ok(cascade)
}

/// One object a DROP removes.
enum Victim {
    Server(Server),
    Mapping(Mapping),
    /// A foreign table: its schema and name.
    Table(String, String),
}

fn server_desc(s: &Server) -> String {
    format!("server {}", s.name)
}

fn mapping_desc(session: &Session, m: &Mapping, server: &str) -> PgResult<String> {
    Ok(format!(
        "user mapping for {} on server {server}",
        mapping_user_name(session, m.user)?
    ))
}

/// The servers of wrapper `fdw` (all when None) and the mappings of each,
/// as the dependents of `what`: (victim, "x depends on y" text, "x").
fn server_dependents(
    session: &mut Session,
    servers_of: &[Server],
) -> PgResult<Vec<(Victim, String)>> {
    let all_mappings = mappings(session)?;
    let tables = scan(session, PG_FOREIGN_TABLE, |_, r| {
        (oid_at(r, 0), oid_at(r, 1))
    })?;
    let mut out = Vec::new();
    for s in servers_of {
        for m in all_mappings.iter().filter(|m| m.server == s.oid) {
            let desc = mapping_desc(session, m, &s.name)?;
            out.push((Victim::Mapping(m.clone()), desc));
        }
        for (relid, _) in tables.iter().filter(|(_, srv)| *srv == s.oid) {
            let Some((_, class)) = with_reader(session, |r| r.class_by_oid(*relid))? else {
                continue;
            };
            let schema = super::namespace_name(session, class.namespace)?;
            let shown = if crate::relcache::search_path(session)?.contains(&class.namespace) {
                class.name.clone()
            } else {
                format!("{schema}.{}", class.name)
            };
            out.push((
                Victim::Table(schema, class.name),
                format!("foreign table {shown}"),
            ));
        }
    }
    Ok(out)
}

/// Refuses (RESTRICT) or announces (CASCADE) dropping `deps` along with
/// `what`; `depends` gives each dependent's "x depends on y" line.
fn check_dependents(
    session: &mut Session,
    what: &str,
    cascade: bool,
    deps: &[(String, String)],
) -> PgResult<()> {
    if deps.is_empty() {
        return Ok(());
    }
    if !cascade {
        return Err(PgError::new(
            SqlState::DependentObjectsStillExist,
            format!("cannot drop {what} because other objects depend on it"),
        )
        .with_detail(
            deps.iter()
                .map(|(d, on)| format!("{d} depends on {on}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    if deps.len() == 1 {
        session.notice("00000", format!("drop cascades to {}", deps[0].0));
    } else {
        session.notices.push((
            "NOTICE",
            "00000",
            format!("drop cascades to {} other objects", deps.len()),
            Some(
                deps.iter()
                    .map(|(d, _)| format!("drop cascades to {d}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ));
    }
    Ok(())
}

fn drop_victims(session: &mut Session, victims: Vec<Victim>) -> PgResult<()> {
    // Mappings before their servers.
    for v in victims.iter().rev() {
        match v {
            Victim::Server(s) => delete(session, PG_FOREIGN_SERVER, s.tid, s.oid)?,
            Victim::Mapping(m) => delete(session, PG_USER_MAPPING, m.tid, m.oid)?,
            Victim::Table(schema, name) => {
                let name = sqlparser::ast::ObjectName::from(vec![
                    sqlparser::ast::Ident::with_quote('"', schema.clone()),
                    sqlparser::ast::Ident::with_quote('"', name.clone()),
                ]);
                super::tablecmds::drop_foreign_tables(session, &[name], true, true)?;
            }
        }
    }
    Ok(())
}

fn drop_wrapper(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let missing_ok = if_exists(t)?;
    let mut names = vec![t.ident()?];
    while t.eat(&Token::Comma) {
        names.push(t.ident()?);
    }
    let cascade = drop_behavior(t)?;
    for name in names {
        let Some(w) = find_wrapper(session, &name)? else {
            if missing_ok {
                session.notice(
                    "00000",
                    format!("foreign-data wrapper \"{name}\" does not exist, skipping"),
                );
                continue;
            }
            return Err(wrapper_missing(&name));
        };
        if !is_owner(session, w.owner)? {
            return Err(must_be_owner("foreign-data wrapper", &name));
        }
        let what = format!("foreign-data wrapper {name}");
        let srvs: Vec<Server> = servers(session)?
            .into_iter()
            .filter(|s| s.fdw == w.oid)
            .collect();
        let mut victims = Vec::new();
        let mut lines = Vec::new();
        for s in &srvs {
            lines.push((server_desc(s), what.clone()));
            victims.push(Victim::Server(s.clone()));
            for (v, d) in server_dependents(session, std::slice::from_ref(s))? {
                lines.push((d, server_desc(s)));
                victims.push(v);
            }
        }
        check_dependents(session, &what, cascade, &lines)?;
        drop_victims(session, victims)?;
        delete(session, PG_FOREIGN_DATA_WRAPPER, w.tid, w.oid)?;
    }
    Ok(Outcome::Command("DROP FOREIGN DATA WRAPPER".into()))
}

// --- servers ---

fn create_server(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let done = Ok(Outcome::Command("CREATE SERVER".into()));
    let not_exists = if_not_exists(t)?;
    let name = t.ident()?;
    let kind = if t.eat_kw("type") {
        Some(t.string()?)
    } else {
        None
    };
    let version = if t.eat_kw("version") {
        if t.eat_kw("null") {
            None
        } else {
            Some(t.string()?)
        }
    } else {
        None
    };
    t.expect_kw("foreign")?;
    t.expect_kw("data")?;
    t.expect_kw("wrapper")?;
    let fdw_name = t.ident()?;
    let options = if t.eat_kw("options") {
        parse_options(t, false)?
    } else {
        Vec::new()
    };
    t.end()?;
    if find_server(session, &name)?.is_some() {
        if not_exists {
            session.notice(
                "42710",
                format!("server \"{name}\" already exists, skipping"),
            );
            return done;
        }
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("server \"{name}\" already exists"),
        ));
    }
    let fdw = require_wrapper(session, &fdw_name)?;
    let g = graph(session)?;
    if !has_usage(
        &g,
        ObjectKind::ForeignDataWrapper,
        session.user_oid,
        fdw.owner,
        fdw.acl.as_deref(),
    ) {
        return Err(permission_denied("foreign-data wrapper", &fdw.name));
    }
    let options = transform_options(PG_FOREIGN_SERVER, &[], &options, fdw.validator)?;
    let s = Server {
        tid: ItemPointer::default(),
        oid: session.storage.transam.new_oid()?,
        name,
        owner: session.user_oid,
        fdw: fdw.oid,
        kind,
        version,
        acl: None,
        options,
    };
    insert(session, PG_FOREIGN_SERVER, s.datums())?;
    done
}

fn alter_server(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    let done = Ok(Outcome::Command("ALTER SERVER".into()));
    if t.eat_kw("rename") {
        t.expect_kw("to")?;
        let to = t.ident()?;
        t.end()?;
        let mut s = require_server(session, &name)?;
        if !is_owner(session, s.owner)? {
            return Err(must_be_owner("foreign server", &name));
        }
        if find_server(session, &to)?.is_some() {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("server \"{to}\" already exists"),
            ));
        }
        s.name = to;
        replace(session, PG_FOREIGN_SERVER, s.tid, s.datums())?;
        return done;
    }
    if t.eat_kw("owner") {
        t.expect_kw("to")?;
        let owner = owner_to(session, t)?;
        let mut s = require_server(session, &name)?;
        if s.owner == owner {
            return done;
        }
        let g = graph(session)?;
        if !session.is_superuser {
            if !g.has_privs_of(session.user_oid, s.owner) {
                return Err(must_be_owner("foreign server", &name));
            }
            if !g.is_member_of(session.user_oid, owner) {
                return Err(PgError::new(
                    SqlState::InsufficientPrivilege,
                    format!("must be member of role \"{}\"", g.name_of(owner)),
                ));
            }
            let fdw = wrappers(session)?
                .into_iter()
                .find(|w| w.oid == s.fdw)
                .ok_or_else(|| PgError::internal("server without its wrapper"))?;
            if !has_usage(
                &g,
                ObjectKind::ForeignDataWrapper,
                owner,
                fdw.owner,
                fdw.acl.as_deref(),
            ) {
                return Err(permission_denied("foreign-data wrapper", &fdw.name));
            }
        }
        s.acl = crate::acl::acl_new_owner(s.acl.as_deref(), &g.name_of(s.owner), &g.name_of(owner));
        s.owner = owner;
        replace(session, PG_FOREIGN_SERVER, s.tid, s.datums())?;
        return done;
    }
    let mut version = None;
    if t.eat_kw("version") {
        version = Some(if t.eat_kw("null") {
            None
        } else {
            Some(t.string()?)
        });
    }
    let options = if t.eat_kw("options") {
        Some(parse_options(t, true)?)
    } else {
        None
    };
    if version.is_none() && options.is_none() {
        return Err(match t.peek() {
            None => PgError::syntax("syntax error at or near \";\"", None),
            _ => t.error(),
        });
    }
    t.end()?;
    let mut s = require_server(session, &name)?;
    if !is_owner(session, s.owner)? {
        return Err(must_be_owner("foreign server", &name));
    }
    if let Some(v) = version {
        s.version = v;
    }
    if let Some(options) = options {
        let validator = wrappers(session)?
            .into_iter()
            .find(|w| w.oid == s.fdw)
            .map_or(0, |w| w.validator);
        s.options = transform_options(PG_FOREIGN_SERVER, &s.options, &options, validator)?;
    }
    replace(session, PG_FOREIGN_SERVER, s.tid, s.datums())?;
    done
}

fn drop_server(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let missing_ok = if_exists(t)?;
    let mut names = vec![t.ident()?];
    while t.eat(&Token::Comma) {
        names.push(t.ident()?);
    }
    let cascade = drop_behavior(t)?;
    for name in names {
        let Some(s) = find_server(session, &name)? else {
            if missing_ok {
                session.notice(
                    "00000",
                    format!("server \"{name}\" does not exist, skipping"),
                );
                continue;
            }
            return Err(server_missing(&name));
        };
        if !is_owner(session, s.owner)? {
            return Err(must_be_owner("foreign server", &name));
        }
        let what = server_desc(&s);
        let deps = server_dependents(session, std::slice::from_ref(&s))?;
        let lines: Vec<(String, String)> = deps
            .iter()
            .map(|(_, d)| (d.clone(), what.clone()))
            .collect();
        check_dependents(session, &what, cascade, &lines)?;
        drop_victims(session, deps.into_iter().map(|(v, _)| v).collect())?;
        delete(session, PG_FOREIGN_SERVER, s.tid, s.oid)?;
    }
    Ok(Outcome::Command("DROP SERVER".into()))
}

// --- user mappings ---

/// `FOR role SERVER name`.
fn mapping_target(t: &mut Tokens) -> PgResult<(String, bool, String)> {
    t.expect_kw("for")?;
    let (role, quoted) = read_role(t)?;
    t.expect_kw("server")?;
    let server = t.ident()?;
    Ok((role, quoted, server))
}

fn find_mapping(session: &Session, user: u32, server: u32) -> PgResult<Option<Mapping>> {
    Ok(mappings(session)?
        .into_iter()
        .find(|m| m.user == user && m.server == server))
}

/// PostgreSQL's user_mapping_ddl_aclcheck: the server's owner may manage
/// any mapping of it; anyone else only their own, with USAGE on it.
fn mapping_aclcheck(session: &Session, user: u32, s: &Server) -> PgResult<()> {
    let g = graph(session)?;
    if session.is_superuser || g.has_privs_of(session.user_oid, s.owner) {
        return Ok(());
    }
    if user == session.user_oid {
        if !has_usage(
            &g,
            ObjectKind::ForeignServer,
            user,
            s.owner,
            s.acl.as_deref(),
        ) {
            return Err(permission_denied("foreign server", &s.name));
        }
        return Ok(());
    }
    Err(must_be_owner("foreign server", &s.name))
}

fn mapping_missing(session: &Session, user: u32, server: &str) -> PgResult<String> {
    Ok(format!(
        "user mapping for \"{}\" does not exist for server \"{server}\"",
        mapping_user_name(session, user)?
    ))
}

fn create_mapping(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let done = Ok(Outcome::Command("CREATE USER MAPPING".into()));
    let not_exists = if_not_exists(t)?;
    let (role, quoted, server) = mapping_target(t)?;
    let options = if t.eat_kw("options") {
        parse_options(t, false)?
    } else {
        Vec::new()
    };
    t.end()?;
    let user =
        role_spec(session, &role, quoted)?.ok_or_else(|| crate::acl::role_not_found(&role))?;
    let s = require_server(session, &server)?;
    mapping_aclcheck(session, user, &s)?;
    if find_mapping(session, user, s.oid)?.is_some() {
        let msg = format!(
            "user mapping for \"{}\" already exists for server \"{server}\"",
            mapping_user_name(session, user)?
        );
        if not_exists {
            session.notice("42710", format!("{msg}, skipping"));
            return done;
        }
        return Err(PgError::new(SqlState::DuplicateObject, msg));
    }
    let validator = wrappers(session)?
        .into_iter()
        .find(|w| w.oid == s.fdw)
        .map_or(0, |w| w.validator);
    let options = transform_options(PG_USER_MAPPING, &[], &options, validator)?;
    let m = Mapping {
        tid: ItemPointer::default(),
        oid: session.storage.transam.new_oid()?,
        user,
        server: s.oid,
        options,
    };
    insert(session, PG_USER_MAPPING, m.datums())?;
    done
}

fn alter_mapping(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let (role, quoted, server) = mapping_target(t)?;
    t.expect_kw("options")?;
    let options = parse_options(t, true)?;
    t.end()?;
    let user =
        role_spec(session, &role, quoted)?.ok_or_else(|| crate::acl::role_not_found(&role))?;
    let s = require_server(session, &server)?;
    let Some(mut m) = find_mapping(session, user, s.oid)? else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            mapping_missing(session, user, &server)?,
        ));
    };
    mapping_aclcheck(session, user, &s)?;
    let validator = wrappers(session)?
        .into_iter()
        .find(|w| w.oid == s.fdw)
        .map_or(0, |w| w.validator);
    m.options = transform_options(PG_USER_MAPPING, &m.options, &options, validator)?;
    replace(session, PG_USER_MAPPING, m.tid, m.datums())?;
    Ok(Outcome::Command("ALTER USER MAPPING".into()))
}

fn drop_mapping(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let done = Ok(Outcome::Command("DROP USER MAPPING".into()));
    let missing_ok = if_exists(t)?;
    let (role, quoted, server) = mapping_target(t)?;
    t.end()?;
    let Some(user) = role_spec(session, &role, quoted)? else {
        if missing_ok {
            session.notice("00000", format!("role \"{role}\" does not exist, skipping"));
            return done;
        }
        return Err(crate::acl::role_not_found(&role));
    };
    let Some(s) = find_server(session, &server)? else {
        if missing_ok {
            session.notice(
                "00000",
                format!("server \"{server}\" does not exist, skipping"),
            );
            return done;
        }
        return Err(server_missing(&server));
    };
    let Some(m) = find_mapping(session, user, s.oid)? else {
        let msg = mapping_missing(session, user, &server)?;
        if missing_ok {
            session.notice("00000", format!("{msg}, skipping"));
            return done;
        }
        return Err(PgError::new(SqlState::UndefinedObject, msg));
    };
    mapping_aclcheck(session, user, &s)?;
    delete(session, PG_USER_MAPPING, m.tid, m.oid)?;
    done
}

// --- foreign tables ---

pub const PG_FOREIGN_TABLE: u32 = catalog::empty::PG_FOREIGN_TABLE;

/// `CREATE FOREIGN TABLE name (columns [OPTIONS (...)], ...) | PARTITION OF
/// ... SERVER s [OPTIONS (...)]`: the column and table options and the
/// server clause are cut out, the rest is CREATE TABLE for sqlparser, made
/// with relkind `f`; `pg_foreign_table` holds the server and options.
fn create_foreign_table(session: &mut Session, text: &str) -> PgResult<Outcome> {
    use sqlparser::tokenizer::Tokenizer;
    let mut tokens: Vec<Token> = Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    let significant = |t: &Token| !matches!(t, Token::Whitespace(_) | Token::EOF);
    let word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    // FOREIGN goes: CREATE TABLE ...
    if let Some(i) = tokens.iter().position(|t| word(t, "foreign")) {
        tokens[i] = blank.clone();
    }
    // The group of parentheses opening at `open`: its tokens as text and
    // the index of its closing parenthesis.
    let group = |tokens: &[Token], open: usize| -> Option<(String, usize)> {
        let mut depth = 0usize;
        for (j, t) in tokens.iter().enumerate().skip(open) {
            match t {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        let text: String = tokens[open..=j].iter().map(|t| t.to_string()).collect();
                        return Some((text, j));
                    }
                }
                _ => {}
            }
        }
        None
    };
    let next_sig =
        |tokens: &[Token], from: usize| (from..tokens.len()).find(|&j| significant(&tokens[j]));
    let mut column_options: Vec<(String, String)> = Vec::new();
    let mut server = None;
    let mut table_options = String::new();
    let mut depth = 0usize;
    let mut column_start: Option<String> = None;
    let mut expect_column = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::LParen => {
                depth += 1;
                if depth == 1 {
                    expect_column = true;
                }
            }
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Comma if depth == 1 => expect_column = true,
            Token::Word(w) if depth == 1 && expect_column => {
                expect_column = false;
                column_start = Some(match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_lowercase(),
                });
            }
            t if depth == 1 && word(t, "options") => {
                if let Some(open) = next_sig(&tokens, i + 1).filter(|&o| tokens[o] == Token::LParen)
                    && let Some((g, close)) = group(&tokens, open)
                {
                    if let Some(c) = &column_start {
                        column_options.push((c.clone(), g));
                    }
                    for t in &mut tokens[i..=close] {
                        *t = blank.clone();
                    }
                    i = close;
                }
            }
            t if depth == 0 && word(t, "server") => {
                let Some(n) = next_sig(&tokens, i + 1) else {
                    return Err(PgError::syntax("syntax error at end of input", None));
                };
                server = Some(match &tokens[n] {
                    Token::Word(w) if w.quote_style.is_some() => w.value.clone(),
                    Token::Word(w) => w.value.to_lowercase(),
                    t => {
                        return Err(PgError::syntax(
                            format!("syntax error at or near \"{t}\""),
                            None,
                        ));
                    }
                });
                let mut end = n;
                if let Some(o) = next_sig(&tokens, n + 1)
                    && word(&tokens[o], "options")
                {
                    let Some(open) = next_sig(&tokens, o + 1) else {
                        return Err(PgError::syntax("syntax error at end of input", None));
                    };
                    let Some((g, close)) = group(&tokens, open) else {
                        return Err(PgError::syntax("syntax error at end of input", None));
                    };
                    table_options = g;
                    end = close;
                }
                if let Some(extra) = next_sig(&tokens, end + 1) {
                    return Err(PgError::syntax(
                        format!("syntax error at or near \"{}\"", tokens[extra]),
                        None,
                    ));
                }
                for t in &mut tokens[i..=end] {
                    *t = blank.clone();
                }
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let Some(server) = server else {
        return Err(PgError::syntax("syntax error at or near \";\"", None));
    };
    let sql: String = tokens.iter().map(|t| t.to_string()).collect();
    let stmts = crate::syntax::parse(&sql)?;
    let [sqlparser::ast::Statement::CreateTable(ct)] = stmts.as_slice() else {
        return Err(PgError::syntax("syntax error at or near \"FOREIGN\"", None));
    };
    let s = require_server(session, &server)?;
    let g = graph(session)?;
    if !has_usage(
        &g,
        ObjectKind::ForeignServer,
        session.user_oid,
        s.owner,
        s.acl.as_deref(),
    ) {
        return Err(permission_denied("foreign server", &s.name));
    }
    let validator = wrappers(session)?
        .into_iter()
        .find(|w| w.oid == s.fdw)
        .map_or(0, |w| w.validator);
    let options = if table_options.is_empty() {
        Vec::new()
    } else {
        let mut t = Tokens::new(&table_options)?;
        let changes = parse_options(&mut t, false)?;
        transform_options(PG_FOREIGN_TABLE, &[], &changes, validator)?
    };
    let mut per_column = Vec::new();
    for (column, g) in &column_options {
        let mut t = Tokens::new(g)?;
        let changes = parse_options(&mut t, false)?;
        // Column options go to the validator in the pg_attribute context.
        let options = transform_options(catalog::system::PG_ATTRIBUTE, &[], &changes, validator)?;
        per_column.push((column.clone(), options));
    }
    let Some(relid) = super::tablecmds::create_table_of_kind(session, ct, &sql, Some(s.oid))?
    else {
        return Ok(Outcome::Command("CREATE FOREIGN TABLE".into()));
    };
    let attrs = with_reader(session, |r| r.attributes(relid))?;
    for (column, options) in per_column {
        if let Some((_, a)) = attrs.iter().find(|(_, a)| a.name == column && !a.dropped) {
            super::alter_table::update_attribute(session, relid, a.attnum, |a| {
                a.fdw_options = Some(options).filter(|o| !o.is_empty());
            })?;
        }
    }
    insert(
        session,
        PG_FOREIGN_TABLE,
        vec![Datum::Oid(relid), Datum::Oid(s.oid), text_array(&options)],
    )?;
    Ok(Outcome::Command("CREATE FOREIGN TABLE".into()))
}

/// `IMPORT FOREIGN SCHEMA remote [LIMIT TO (...) | EXCEPT (...)] FROM
/// SERVER s INTO local [OPTIONS (...)]`: the checks PostgreSQL makes before
/// asking the wrapper, which can never answer here (no handler).
fn import_foreign_schema(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    t.expect_kw("foreign")?;
    t.expect_kw("schema")?;
    let _remote = t.ident()?;
    if t.eat_kw("limit") {
        t.expect_kw("to")?;
        t.parenthesized_text()?;
    } else if t.eat_kw("except") {
        t.parenthesized_text()?;
    }
    t.expect_kw("from")?;
    t.expect_kw("server")?;
    let server = t.ident()?;
    t.expect_kw("into")?;
    let local = t.ident()?;
    if t.eat_kw("options") {
        parse_options(t, false)?;
    }
    t.end()?;
    let s = require_server(session, &server)?;
    let g = graph(session)?;
    if !has_usage(
        &g,
        ObjectKind::ForeignServer,
        session.user_oid,
        s.owner,
        s.acl.as_deref(),
    ) {
        return Err(permission_denied("foreign server", &s.name));
    }
    if crate::relcache::namespace_oid(session, &local)?.is_none() {
        return Err(PgError::new(
            SqlState::InvalidSchemaName,
            format!("schema \"{local}\" does not exist"),
        ));
    }
    let Some(w) = wrappers(session)?.into_iter().find(|w| w.oid == s.fdw) else {
        return Err(PgError::internal("server without its wrapper"));
    };
    if w.handler == 0 {
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!("foreign-data wrapper \"{}\" has no handler", w.name),
        ));
    }
    Err(PgError::feature_not_supported(
        "IMPORT FOREIGN SCHEMA through a handler",
    ))
}

/// `ALTER FOREIGN TABLE [IF EXISTS] name OPTIONS (...)`.
fn alter_foreign_table_options(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let done = Ok(Outcome::Command("ALTER FOREIGN TABLE".into()));
    t.expect_kw("foreign")?;
    t.expect_kw("table")?;
    let missing_ok = if_exists(t)?;
    let (schema, name) = t.qualified()?;
    t.expect_kw("options")?;
    let changes = parse_options(t, true)?;
    t.end()?;
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &name)? else {
        super::missing_relation(session, "relation", &name, missing_ok)?;
        return done;
    };
    if rel.kind != 'f' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{name}\" is not a foreign table"),
        ));
    }
    crate::acl::require_relation_owner(session, rel.oid)?;
    let Some((tid, server)) = foreign_table_row(session, rel.oid)? else {
        return Err(PgError::internal(format!(
            "foreign table {} has no pg_foreign_table row",
            rel.oid
        )));
    };
    let current = scan(session, PG_FOREIGN_TABLE, |tid, r| {
        (tid, crate::acl::texts_of(r.get(2)))
    })?
    .into_iter()
    .find(|(t, _)| *t == tid)
    .and_then(|(_, o)| o)
    .unwrap_or_default();
    let validator = servers(session)?
        .into_iter()
        .find(|s| s.oid == server)
        .and_then(|s| wrappers(session).ok()?.into_iter().find(|w| w.oid == s.fdw))
        .map_or(0, |w| w.validator);
    let options = transform_options(PG_FOREIGN_TABLE, &current, &changes, validator)?;
    replace(
        session,
        PG_FOREIGN_TABLE,
        tid,
        vec![
            Datum::Oid(rel.oid),
            Datum::Oid(server),
            text_array(&options),
        ],
    )?;
    done
}

thread_local! {
    /// Nesting of DDL on a foreign table (ALTER TABLE): its internal
    /// queries (NOT NULL checks, rewrites) see the empty local relation, as
    /// PostgreSQL never reads a foreign table for them.
    static FOREIGN_DDL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// While alive, queries inside DDL on a foreign table do not need a
/// handler.
pub(crate) struct ForeignDdl;

impl ForeignDdl {
    pub(crate) fn enter() -> ForeignDdl {
        FOREIGN_DDL.with(|d| d.set(d.get() + 1));
        ForeignDdl
    }
}

impl Drop for ForeignDdl {
    fn drop(&mut self) {
        FOREIGN_DDL.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The `pg_foreign_table` row of relation `relid`: where it is and its
/// server's OID.
fn foreign_table_row(session: &Session, relid: u32) -> PgResult<Option<(ItemPointer, u32)>> {
    Ok(scan(session, PG_FOREIGN_TABLE, |tid, r| {
        (tid, oid_at(r, 0), oid_at(r, 1))
    })?
    .into_iter()
    .find(|(_, rel, _)| *rel == relid)
    .map(|(tid, _, srv)| (tid, srv)))
}

/// Removes the `pg_foreign_table` row of a dropped relation.
pub(crate) fn drop_foreign_table_row(session: &mut Session, relid: u32) -> PgResult<()> {
    if let Some((tid, _)) = foreign_table_row(session, relid)? {
        write(session, |cw, w| {
            cw.delete_row(def(PG_FOREIGN_TABLE), tid, w)
        })?;
    }
    Ok(())
}

/// Reading or changing foreign table `relid` needs its wrapper's handler:
/// without one, PostgreSQL's 55000 `foreign-data wrapper "x" has no
/// handler` (no wrapper here has one that could run).
pub(crate) fn check_foreign_scan(session: &Session, relid: u32) -> PgResult<()> {
    if FOREIGN_DDL.with(|d| d.get()) > 0 {
        return Ok(());
    }
    let Some((_, server)) = foreign_table_row(session, relid)? else {
        return Ok(());
    };
    let Some(s) = servers(session)?.into_iter().find(|s| s.oid == server) else {
        return Ok(());
    };
    let Some(w) = wrappers(session)?.into_iter().find(|w| w.oid == s.fdw) else {
        return Ok(());
    };
    if w.handler == 0 {
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!("foreign-data wrapper \"{}\" has no handler", w.name),
        ));
    }
    Err(PgError::feature_not_supported(
        "scanning a foreign table through a handler",
    ))
}

// --- GRANT / REVOKE, COMMENT, DROP ROLE ---

/// A wrapper's or server's OID, owner and ACL for GRANT, COMMENT and
/// ownership checks: `server` picks `pg_foreign_server`.
pub(crate) fn acl_target(
    session: &Session,
    server: bool,
    name: &str,
) -> PgResult<(u32, u32, Option<Vec<String>>)> {
    if server {
        let s = require_server(session, name)?;
        Ok((s.oid, s.owner, s.acl))
    } else {
        let w = require_wrapper(session, name)?;
        Ok((w.oid, w.owner, w.acl))
    }
}

/// The owner and ACL of the wrapper or server a privilege function names
/// (by OID: None when there is none; by name: 42704 when missing).
pub(crate) fn privilege_target(
    session: &Session,
    server: bool,
    object: &Datum,
) -> PgResult<Option<(u32, Option<Vec<String>>)>> {
    match object {
        Datum::Text(name) => acl_target(session, server, name).map(|(_, o, a)| Some((o, a))),
        Datum::Oid(oid) => Ok(if server {
            servers(session)?
                .into_iter()
                .find(|s| s.oid == *oid)
                .map(|s| (s.owner, s.acl))
        } else {
            wrappers(session)?
                .into_iter()
                .find(|w| w.oid == *oid)
                .map(|w| (w.owner, w.acl))
        }),
        _ => Ok(None),
    }
}

/// Stores a wrapper's or server's new ACL.
pub(crate) fn set_acl(
    session: &mut Session,
    server: bool,
    name: &str,
    acl: Vec<String>,
) -> PgResult<()> {
    if server {
        let mut s = require_server(session, name)?;
        s.acl = Some(acl);
        replace(session, PG_FOREIGN_SERVER, s.tid, s.datums())
    } else {
        let mut w = require_wrapper(session, name)?;
        w.acl = Some(acl);
        replace(session, PG_FOREIGN_DATA_WRAPPER, w.tid, w.datums())
    }
}

/// What DROP ROLE finds of `role` here: ownerships, privileges and user
/// mappings, as (OID, description).
pub(crate) fn role_dependents(
    session: &Session,
    role: &catalog::system::AuthidRow,
) -> PgResult<Vec<(u32, String)>> {
    let mentions = |acl: &Option<Vec<String>>| {
        acl.iter()
            .flatten()
            .filter_map(|t| cacl::AclItem::parse(t))
            .any(|i| i.grantee == role.name || i.grantor == role.name)
    };
    let mut out = Vec::new();
    for w in wrappers(session)? {
        if w.owner == role.oid {
            out.push((w.oid, format!("owner of foreign-data wrapper {}", w.name)));
        } else if mentions(&w.acl) {
            out.push((
                w.oid,
                format!("privileges for foreign-data wrapper {}", w.name),
            ));
        }
    }
    let all = servers(session)?;
    for s in &all {
        if s.owner == role.oid {
            out.push((s.oid, format!("owner of server {}", s.name)));
        } else if mentions(&s.acl) {
            out.push((s.oid, format!("privileges for server {}", s.name)));
        }
    }
    for m in mappings(session)? {
        if m.user == role.oid
            && let Some(s) = all.iter().find(|s| s.oid == m.server)
        {
            out.push((
                m.oid,
                format!("user mapping for {} on server {}", role.name, s.name),
            ));
        }
    }
    Ok(out)
}

/// The rows of `pg_user_mappings`: the options show only to a superuser,
/// to the mapped user holding USAGE on the server (or its owner's
/// privileges), and for PUBLIC mappings to the server's owner.
pub(crate) fn user_mappings_view(
    session: &mut Session,
) -> PgResult<std::collections::VecDeque<Vec<Datum>>> {
    let g = graph(session)?;
    let all = servers(session)?;
    let me = session.user_oid;
    let mut out = std::collections::VecDeque::new();
    for m in mappings(session)? {
        let Some(s) = all.iter().find(|s| s.oid == m.server) else {
            continue;
        };
        let owner_privs = g.has_privs_of(me, s.owner);
        let visible = g.is_superuser(me)
            || (m.user != 0
                && m.user == me
                && (owner_privs
                    || has_usage(&g, ObjectKind::ForeignServer, me, s.owner, s.acl.as_deref())))
            || (m.user == 0 && owner_privs);
        out.push_back(vec![
            Datum::Oid(m.oid),
            Datum::Oid(s.oid),
            Datum::Text(s.name.clone()),
            Datum::Oid(m.user),
            Datum::Text(if m.user == 0 {
                "public".into()
            } else {
                g.name_of(m.user)
            }),
            if visible {
                text_array(&m.options)
            } else {
                Datum::Null
            },
        ]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(list: &[(OptionAction, &str, &str)]) -> Vec<(OptionAction, String, String)> {
        list.iter()
            .map(|(a, n, v)| (*a, n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn generic_options_add_set_drop() {
        let cur = vec!["a=1".to_string(), "b=2".to_string()];
        let out = transform_options(
            PG_FOREIGN_DATA_WRAPPER,
            &cur,
            &changes(&[
                (OptionAction::Drop, "a", ""),
                (OptionAction::Set, "b", "3"),
                (OptionAction::Add, "c", "4"),
            ]),
            0,
        )
        .expect("accepted");
        assert_eq!(out, vec!["b=3".to_string(), "c=4".to_string()]);
        let dup = transform_options(
            PG_FOREIGN_DATA_WRAPPER,
            &cur,
            &changes(&[(OptionAction::Add, "b", "4")]),
            0,
        )
        .expect_err("refused");
        assert_eq!(dup.message, "option \"b\" provided more than once");
        let missing = transform_options(
            PG_FOREIGN_DATA_WRAPPER,
            &cur,
            &changes(&[(OptionAction::Set, "c", "4")]),
            0,
        )
        .expect_err("refused");
        assert_eq!(missing.message, "option \"c\" not found");
    }

    #[test]
    fn libpq_validator_contexts() {
        assert!(postgresql_fdw_validator(PG_FOREIGN_SERVER, &["host=a".into()]).is_ok());
        assert!(postgresql_fdw_validator(PG_USER_MAPPING, &["user=a".into()]).is_ok());
        let e =
            postgresql_fdw_validator(PG_USER_MAPPING, &["username=a".into()]).expect_err("refused");
        assert_eq!(e.message, "invalid option \"username\"");
        assert_eq!(
            e.hint.as_deref(),
            Some("Valid options in this context are: user, password")
        );
        let e = postgresql_fdw_validator(PG_FOREIGN_DATA_WRAPPER, &["x=1".into()])
            .expect_err("refused");
        assert_eq!(
            e.hint.as_deref(),
            Some("There are no valid options in this context.")
        );
    }
}
