//! Operator families and classes (PostgreSQL's `opclasscmds.c`): CREATE /
//! ALTER / DROP OPERATOR FAMILY and OPERATOR CLASS, with their rows in
//! `pg_opfamily`, `pg_opclass`, `pg_amop` and `pg_amproc` and PostgreSQL's
//! checks (superusers only, strategy and support numbers within the access
//! method's, one default class per type and method, names unique per
//! schema and method).
//!
//! What is not here: the built-in operators have no `pg_operator` rows, so
//! a member that is one is recorded with `amopopr` 0 (its strategy and types
//! are kept); support functions are kept by name (`amproc`, as `regproc`
//! prints it), and the built-in ones PostgreSQL names (`btint4cmp`,
//! `hashint4`, ...) are taken on trust. The B-tree here compares with its
//! own built-in orders: an index may name a user class only when it is a
//! built-in one's (see `indexcmds::resolve_opclass`, which answers 0A000
//! for a user class).

use sqlparser::ast::{
    AlterOperatorClass, AlterOperatorClassOperation, AlterOperatorFamily,
    AlterOperatorFamilyOperation, CreateOperatorClass, CreateOperatorFamily, DataType,
    DropOperatorClass, DropOperatorFamily, Ident, ObjectName, OperatorClassItem,
    OperatorFamilyDropItem, OperatorFamilyItem, OperatorPurpose,
};

use catalog::empty::{PG_AMOP, PG_AMPROC, PG_OPFAMILY};
use catalog::heap_catalog::CatalogWriter;
use catalog::system::{CatalogDef, DependRow, PG_OPCLASS, PG_OPCLASS_DEF};
use storage::page::ItemPointer;
use types::oid;
use types::{Datum, PgError, PgResult, SqlState};

use super::catalog_changed;
use crate::acl::RoleGraph;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

fn def(catalog: u32) -> &'static CatalogDef {
    if catalog == PG_OPCLASS {
        return &PG_OPCLASS_DEF;
    }
    catalog::empty::CATALOGS
        .iter()
        .find(|c| c.oid == catalog)
        .expect("catalog is defined")
}

fn oid_at(r: &[Datum], i: usize) -> u32 {
    match r.get(i) {
        Some(Datum::Oid(v)) => *v,
        _ => 0,
    }
}

fn text_at(r: &[Datum], i: usize) -> String {
    match r.get(i) {
        Some(Datum::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

/// A `pg_opfamily` or `pg_opclass` row: what the two have in common, and
/// the class's own columns.
#[derive(Debug, Clone)]
struct Named {
    tid: ItemPointer,
    oid: u32,
    method: u32,
    name: String,
    namespace: u32,
    owner: u32,
    /// The class's: family, input type, default, storage type.
    family: u32,
    input: u32,
    default: bool,
    keytype: u32,
}

impl Named {
    fn family_from(tid: ItemPointer, r: &[Datum]) -> Named {
        Named {
            tid,
            oid: oid_at(r, 0),
            method: oid_at(r, 1),
            name: text_at(r, 2),
            namespace: oid_at(r, 3),
            owner: oid_at(r, 4),
            family: 0,
            input: 0,
            default: false,
            keytype: 0,
        }
    }

    fn class_from(tid: ItemPointer, r: &[Datum]) -> Named {
        Named {
            tid,
            oid: oid_at(r, 0),
            method: oid_at(r, 1),
            name: text_at(r, 2),
            namespace: oid_at(r, 3),
            owner: oid_at(r, 4),
            family: oid_at(r, 5),
            input: oid_at(r, 6),
            default: matches!(r.get(7), Some(Datum::Bool(true))),
            keytype: oid_at(r, 8),
        }
    }

    fn family_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.method),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            Datum::Oid(self.owner),
        ]
    }

    fn class_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.method),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            Datum::Oid(self.owner),
            Datum::Oid(self.family),
            Datum::Oid(self.input),
            Datum::Bool(self.default),
            Datum::Oid(self.keytype),
        ]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Family,
    Class,
}

impl Kind {
    fn catalog(self) -> u32 {
        match self {
            Kind::Family => PG_OPFAMILY,
            Kind::Class => PG_OPCLASS,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Family => "operator family",
            Kind::Class => "operator class",
        }
    }
}

fn rows(session: &Session, kind: Kind) -> PgResult<Vec<Named>> {
    let mut out = Vec::new();
    with_reader(session, |r| {
        r.scan(def(kind.catalog()), |tid, row| {
            out.push(match kind {
                Kind::Family => Named::family_from(tid, &row),
                Kind::Class => Named::class_from(tid, &row),
            });
            Ok(true)
        })
    })?;
    Ok(out)
}

fn write(
    session: &mut Session,
    f: impl FnOnce(
        &CatalogWriter<'_, '_, 'static>,
        &mut storage::heap::heapam::WriteXact<'_>,
    ) -> PgResult<()>,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| f(&CatalogWriter { env, db_oid: db }, w))
}

fn save(session: &mut Session, kind: Kind, row: &Named, new: bool) -> PgResult<()> {
    let datums = match kind {
        Kind::Family => row.family_datums(),
        Kind::Class => row.class_datums(),
    };
    let tid = row.tid;
    write(session, |cw, w| {
        let d = def(kind.catalog());
        if new {
            cw.insert_row(d, &datums, w).map(|_| ())
        } else {
            cw.replace_row(d, tid, &datums, w)
        }
    })
}

/// An index access method's OID and its numbers of strategies and support
/// functions (PostgreSQL 15's; 0 strategies: any number).
fn access_method(session: &Session, am: &Ident) -> PgResult<(u32, String, i64, i64)> {
    let name = super::ident(am);
    let _ = session;
    let Some(&(oid, amname, _, kind)) =
        catalog::system::ACCESS_METHODS.iter().find(|m| m.1 == name)
    else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!("access method \"{name}\" does not exist"),
        ));
    };
    if kind != 'i' {
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!("access method \"{name}\" is not of type INDEX"),
        ));
    }
    let (strategies, support) = match amname {
        "btree" => (5, 5),
        "hash" => (1, 3),
        "gist" => (0, 11),
        "gin" => (0, 7),
        "spgist" => (0, 6),
        _ => (0, 15),
    };
    Ok((oid, amname.to_owned(), strategies, support))
}

fn require_superuser(session: &Session, what: &str) -> PgResult<()> {
    if session.is_superuser {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("must be superuser to {what}"),
        ))
    }
}

/// The family or class `[schema.]name` of access method `method`, nearest
/// schema first.
fn find(
    session: &mut Session,
    kind: Kind,
    name: &ObjectName,
    method: u32,
) -> PgResult<Option<Named>> {
    let (schema, n) = super::split_name(name)?;
    let namespaces = match &schema {
        Some(s) => match relcache::namespace_oid(session, s)? {
            Some(o) => {
                crate::acl::require_schema_usage(session, o)?;
                vec![o]
            }
            None => {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{s}\" does not exist"),
                ));
            }
        },
        None => relcache::search_path(session)?,
    };
    let all = rows(session, kind)?;
    Ok(namespaces.iter().find_map(|&nsp| {
        all.iter()
            .find(|r| r.namespace == nsp && r.name == n && r.method == method)
            .cloned()
    }))
}

fn not_found(kind: Kind, name: &ObjectName, am: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!(
            "{} \"{}\" does not exist for access method \"{am}\"",
            kind.word(),
            last_name(name)
        ),
    )
}

fn last_name(name: &ObjectName) -> String {
    super::split_name(name).map(|(_, n)| n).unwrap_or_default()
}

fn require_owner(session: &Session, kind: Kind, row: &Named) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    if graph.has_privs_of(session.user_oid, row.owner) {
        return Ok(());
    }
    Err(crate::acl::must_be_owner(kind.word(), &row.name))
}

fn exists_in(session: &Session, kind: Kind, nsp: u32, name: &str, method: u32) -> PgResult<bool> {
    Ok(rows(session, kind)?
        .iter()
        .any(|r| r.namespace == nsp && r.name == name && r.method == method))
}

fn new_family(session: &mut Session, name: String, namespace: u32, method: u32) -> PgResult<Named> {
    let row = Named {
        tid: ItemPointer::default(),
        oid: session.storage.transam.new_oid()?,
        method,
        name,
        namespace,
        owner: session.user_oid,
        family: 0,
        input: 0,
        default: false,
        keytype: 0,
    };
    save(session, Kind::Family, &row, true)?;
    Ok(row)
}

/// CREATE OPERATOR FAMILY name USING method.
pub fn create_family(session: &mut Session, c: &CreateOperatorFamily) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE OPERATOR FAMILY")?;
    let (schema, name) = super::split_name(&c.name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    let (method, amname, _, _) = access_method(session, &c.using)?;
    if exists_in(session, Kind::Family, namespace, &name, method)? {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("operator family \"{name}\" for access method \"{amname}\" already exists"),
        ));
    }
    require_superuser(session, "create an operator family")?;
    new_family(session, name, namespace, method)?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE OPERATOR FAMILY".into()))
}

fn resolve_type(session: &mut Session, dt: &DataType) -> PgResult<u32> {
    super::typecmds::resolve_type(session, dt).map(|(t, _)| t)
}

/// An operator member: `(strategy, left, right, operator OID or 0 for a
/// built-in one, purpose, sort family)`.
struct OpMember {
    strategy: i16,
    left: u32,
    right: u32,
    opr: u32,
    purpose: char,
    sortfamily: u32,
}

/// A support function member: `(number, left, right, function name)`.
struct ProcMember {
    number: i16,
    left: u32,
    right: u32,
    name: String,
}

fn check_number(what: &str, n: u64, max: i64) -> PgResult<i16> {
    let limit = if max > 0 { max } else { i64::from(i16::MAX) };
    match i64::try_from(n) {
        Ok(v) if v >= 1 && v <= limit => Ok(v as i16),
        _ => Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            format!("invalid {what} number {n}, must be between 1 and {limit}"),
        )),
    }
}

fn operator_member(
    session: &mut Session,
    strategy: u64,
    max: i64,
    name: &ObjectName,
    (left, right): (u32, u32),
    purpose: Option<&OperatorPurpose>,
    method: u32,
) -> PgResult<OpMember> {
    let strategy = check_number("operator", strategy, max)?;
    let (schema, op) = super::split_name(name)?;
    let user = super::operatorcmds::find_operator(session, schema.as_deref(), &op, left, right)?;
    let opr = match user {
        Some(o) => o,
        None => {
            let builtin = schema.as_deref().is_none_or(|s| s == "pg_catalog")
                && matches!(
                    planner::analyze::func::resolve(&op, &[left, right]),
                    planner::analyze::func::Resolution::Found(_)
                );
            if !builtin {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!(
                        "operator does not exist: {} {name} {}",
                        oid::format_type(left, -1),
                        oid::format_type(right, -1)
                    ),
                ));
            }
            0
        }
    };
    let (purpose, sortfamily) = match purpose {
        None | Some(OperatorPurpose::ForSearch) => ('s', 0),
        Some(OperatorPurpose::ForOrderBy { sort_family }) => {
            // Only GiST and SP-GiST order by operators (amcanorderbyop).
            if method != GIST && method != SPGIST {
                let amname = catalog::system::ACCESS_METHODS
                    .iter()
                    .find(|m| m.0 == method)
                    .map_or("", |m| m.1);
                return Err(PgError::new(
                    SqlState::InvalidObjectDefinition,
                    format!("access method \"{amname}\" does not support ordering operators"),
                ));
            }
            // A built-in B-tree family (`float_ops`) has no row here.
            let f = find(session, Kind::Family, sort_family, BTREE)?;
            ('o', f.map_or(0, |f| f.oid))
        }
    };
    Ok(OpMember {
        strategy,
        left,
        right,
        opr,
        purpose,
        sortfamily,
    })
}

const BTREE: u32 = catalog::system::BTREE_AM_OID;
const GIST: u32 = 783;
const SPGIST: u32 = 4000;

/// The built-in support functions PostgreSQL has (which are not all
/// functions here): taken by name.
fn is_builtin_support(name: &str) -> bool {
    (name.starts_with("bt") && (name.ends_with("cmp") || name.ends_with("sortsupport")))
        || name.starts_with("hash")
        || name.starts_with("in_range")
        || name.ends_with("equalimage")
}

#[allow(clippy::too_many_arguments)]
fn function_member(
    session: &mut Session,
    amname: &str,
    number: u64,
    max: i64,
    op_types: Option<&[DataType]>,
    name: &ObjectName,
    args: &[DataType],
    input: u32,
) -> PgResult<ProcMember> {
    let number = check_number("function", number, max)?;
    let mut arg_types = Vec::with_capacity(args.len());
    for a in args {
        arg_types.push(resolve_type(session, a)?);
    }
    let (schema, fname) = super::split_name(name)?;
    let user = crate::commands::function::lookup(session, schema.as_deref(), &fname)?;
    let user_ret = user
        .iter()
        .find(|f| f.arg_types == arg_types)
        .map(|f| f.ret_type);
    let found = user_ret.is_some()
        || (schema.as_deref().is_none_or(|s| s == "pg_catalog")
            && (planner::analyze::func::exact_builtin(&fname, &arg_types).is_some()
                || is_builtin_support(&fname)));
    if !found {
        let sig: Vec<String> = arg_types.iter().map(|&t| oid::format_type(t, -1)).collect();
        return Err(PgError::new(
            SqlState::UndefinedFunction,
            format!("function {name}({}) does not exist", sig.join(", ")),
        ));
    }
    // The access method's rules for its support functions (PostgreSQL's
    // `assignProcTypes`), for what can be known of the function.
    let invalid = |msg: &str| PgError::new(SqlState::InvalidObjectDefinition, msg);
    let returns = |t: u32| user_ret.is_none_or(|r| r == t);
    match (amname, number) {
        ("btree", 1) => {
            if arg_types.len() != 2 {
                return Err(invalid(
                    "btree comparison functions must have two arguments",
                ));
            }
            if !returns(oid::INT4) {
                return Err(invalid("btree comparison functions must return integer"));
            }
        }
        ("hash", 1) => {
            if arg_types.len() != 1 {
                return Err(invalid("hash function 1 must have one argument"));
            }
            if !returns(oid::INT4) {
                return Err(invalid("hash function 1 must return integer"));
            }
        }
        ("btree" | "hash", _) => {}
        _ => {
            if op_types.is_none() && arg_types.len() == 2 && arg_types[0] != arg_types[1] {
                return Err(invalid(
                    "associated data types must be specified for index support function",
                ));
            }
        }
    }
    let (left, right) = match op_types {
        Some([l, r]) => (resolve_type(session, l)?, resolve_type(session, r)?),
        Some([t]) => {
            let t = resolve_type(session, t)?;
            (t, t)
        }
        _ => match arg_types.as_slice() {
            [a, b] => (*a, *b),
            [a] => (*a, *a),
            _ => (input, input),
        },
    };
    if amname == "btree" && number == 4 && left != right {
        return Err(invalid(
            "btree equal image functions must not be cross-type",
        ));
    }
    let name = match schema {
        Some(s) if s != "pg_catalog" => format!("{s}.{fname}"),
        _ => fname,
    };
    Ok(ProcMember {
        number,
        left,
        right,
        name,
    })
}

fn member_exists(
    session: &Session,
    family: u32,
    catalog: u32,
    number: i16,
    left: u32,
    right: u32,
) -> PgResult<bool> {
    let mut found = false;
    with_reader(session, |r| {
        r.scan(def(catalog), |_, row| {
            let n = match row.get(4) {
                Some(Datum::Int2(v)) => *v,
                _ => 0,
            };
            if oid_at(&row, 1) == family
                && oid_at(&row, 2) == left
                && oid_at(&row, 3) == right
                && n == number
            {
                found = true;
            }
            Ok(!found)
        })
    })?;
    Ok(found)
}

/// Adds the members to `family` (each owned by `class` when there is one,
/// as its `pg_depend` says).
fn add_members(
    session: &mut Session,
    family: &Named,
    method: u32,
    class: Option<u32>,
    ops: Vec<OpMember>,
    procs: Vec<ProcMember>,
) -> PgResult<()> {
    let op_keys: Vec<_> = ops.iter().map(|o| (o.strategy, o.left, o.right)).collect();
    let proc_keys: Vec<_> = procs.iter().map(|p| (p.number, p.left, p.right)).collect();
    let members = [
        ("operator", PG_AMOP, &op_keys),
        ("function", PG_AMPROC, &proc_keys),
    ];
    let types = |left, right| {
        format!(
            "({},{})",
            oid::format_type(left, -1),
            oid::format_type(right, -1)
        )
    };
    // Members named twice in the statement first, then ones the family has.
    for (what, _, keys) in members {
        for (k, &(n, left, right)) in keys.iter().enumerate() {
            if keys[..k].contains(&(n, left, right)) {
                return Err(PgError::new(
                    SqlState::InvalidObjectDefinition,
                    format!(
                        "{what} number {n} for {} appears more than once",
                        types(left, right)
                    ),
                ));
            }
        }
    }
    for (what, catalog, keys) in members {
        for &(n, left, right) in keys.iter() {
            let types = types(left, right);
            if member_exists(session, family.oid, catalog, n, left, right)? {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!(
                        "{what} {n}{types} already exists in operator family \"{}\"",
                        family.name
                    ),
                ));
            }
        }
    }
    let mut rows: Vec<(u32, Vec<Datum>)> = Vec::new();
    for o in ops {
        let oid = session.storage.transam.new_oid()?;
        rows.push((
            PG_AMOP,
            vec![
                Datum::Oid(oid),
                Datum::Oid(family.oid),
                Datum::Oid(o.left),
                Datum::Oid(o.right),
                Datum::Int2(o.strategy),
                Datum::Text(o.purpose.to_string()),
                Datum::Oid(o.opr),
                Datum::Oid(method),
                Datum::Oid(o.sortfamily),
            ],
        ));
    }
    for p in procs {
        let oid = session.storage.transam.new_oid()?;
        rows.push((
            PG_AMPROC,
            vec![
                Datum::Oid(oid),
                Datum::Oid(family.oid),
                Datum::Oid(p.left),
                Datum::Oid(p.right),
                Datum::Int2(p.number),
                Datum::Text(p.name),
            ],
        ));
    }
    write(session, |cw, w| {
        for (catalog, row) in &rows {
            cw.insert_row(def(*catalog), row, w)?;
            let (refclassid, refobjid, deptype) = match class {
                Some(c) => (PG_OPCLASS, c, 'a'),
                None => (PG_OPFAMILY, family.oid, 'a'),
            };
            cw.add_dependency(
                w,
                &DependRow {
                    classid: *catalog,
                    objid: oid_at(row, 0),
                    objsubid: 0,
                    refclassid,
                    refobjid,
                    refobjsubid: 0,
                    deptype,
                },
            )?;
        }
        Ok(())
    })
}

/// CREATE OPERATOR CLASS name [DEFAULT] FOR TYPE t USING method [FAMILY f]
/// AS items.
pub fn create_class(session: &mut Session, c: &CreateOperatorClass) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE OPERATOR CLASS")?;
    let (schema, name) = super::split_name(&c.name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    let (method, amname, max_ops, max_procs) = access_method(session, &c.using)?;
    let input = resolve_type(session, &c.for_type)?;
    require_superuser(session, "create an operator class")?;
    let family = match &c.family {
        Some(f) => match find(session, Kind::Family, f, method)? {
            Some(f) => Some(f),
            None => return Err(not_found(Kind::Family, f, &amname)),
        },
        None => None,
    };
    let mut ops = Vec::new();
    let mut procs = Vec::new();
    let mut storage = 0;
    for item in &c.items {
        match item {
            OperatorClassItem::Operator {
                strategy_number,
                operator_name,
                op_types,
                purpose,
            } => {
                let types = match op_types {
                    Some(t) => (
                        resolve_type(session, &t.left)?,
                        resolve_type(session, &t.right)?,
                    ),
                    None => (input, input),
                };
                ops.push(operator_member(
                    session,
                    *strategy_number,
                    max_ops,
                    operator_name,
                    types,
                    purpose.as_ref(),
                    method,
                )?);
            }
            OperatorClassItem::Function {
                support_number,
                op_types,
                function_name,
                argument_types,
            } => procs.push(function_member(
                session,
                &amname,
                *support_number,
                max_procs,
                op_types.as_deref(),
                function_name,
                argument_types,
                input,
            )?),
            OperatorClassItem::Storage { storage_type } => {
                if storage != 0 {
                    return Err(PgError::new(
                        SqlState::InvalidObjectDefinition,
                        "storage type specified more than once",
                    ));
                }
                storage = resolve_type(session, storage_type)?;
            }
        }
    }
    if storage == input {
        storage = 0;
    }
    if storage != 0 && amname != "gist" && amname != "gin" && amname != "spgist" && amname != "brin"
    {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            format!(
                "storage type cannot be different from data type for access method \"{amname}\""
            ),
        ));
    }
    if exists_in(session, Kind::Class, namespace, &name, method)? {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("operator class \"{name}\" for access method \"{amname}\" already exists"),
        ));
    }
    if c.default {
        let builtin = catalog::system::BTREE_OPCLASSES
            .iter()
            .find(|b| method == BTREE && b.default && b.input_type == input)
            .map(|b| b.name.to_owned());
        let user = rows(session, Kind::Class)?
            .into_iter()
            .find(|r| r.method == method && r.default && r.input == input)
            .map(|r| r.name);
        if let Some(other) = builtin.or(user) {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!(
                    "could not make operator class \"{name}\" be default for type {}",
                    c.for_type.to_string().to_lowercase()
                ),
            )
            .with_detail(format!(
                "Operator class \"{other}\" already is the default."
            )));
        }
    }
    // Without FAMILY, a family of the class's name, found or made.
    let family = match family {
        Some(f) => f,
        None => match rows(session, Kind::Family)?
            .into_iter()
            .find(|f| f.namespace == namespace && f.name == name && f.method == method)
        {
            Some(f) => f,
            None => new_family(session, name.clone(), namespace, method)?,
        },
    };
    let class = Named {
        tid: ItemPointer::default(),
        oid: session.storage.transam.new_oid()?,
        method,
        name,
        namespace,
        owner: session.user_oid,
        family: family.oid,
        input,
        default: c.default,
        keytype: storage,
    };
    save(session, Kind::Class, &class, true)?;
    add_members(session, &family, method, Some(class.oid), ops, procs)?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE OPERATOR CLASS".into()))
}

fn types_of(session: &mut Session, t: &[DataType]) -> PgResult<(u32, u32)> {
    match t {
        [l, r] => Ok((resolve_type(session, l)?, resolve_type(session, r)?)),
        [one] => {
            let t = resolve_type(session, one)?;
            Ok((t, t))
        }
        [] => Err(PgError::syntax(
            "operator argument types must be specified in ALTER OPERATOR FAMILY",
            None,
        )),
        _ => Err(PgError::syntax(
            "one or two argument types must be specified",
            None,
        )),
    }
}

/// Deletes members of `family` and their `pg_depend` rows.
fn delete_members(
    session: &mut Session,
    catalog: u32,
    members: &[(ItemPointer, u32)],
) -> PgResult<()> {
    let mut deps = Vec::new();
    for &(_, oid) in members {
        deps.extend(
            with_reader(session, |r| r.dependencies(catalog, oid))?
                .into_iter()
                .map(|(tid, _)| (catalog::system::PG_DEPEND, tid)),
        );
    }
    write(session, |cw, w| {
        for &(tid, _) in members {
            cw.delete_row(def(catalog), tid, w)?;
        }
        cw.delete_rows(&deps, w)
    })
}

/// The members of `catalog` (`pg_amop` / `pg_amproc`) that `pick` chooses
/// by (family, number, left, right): their places and OIDs.
fn members(
    session: &Session,
    catalog: u32,
    mut pick: impl FnMut(u32, i16, u32, u32) -> bool,
) -> PgResult<Vec<(ItemPointer, u32)>> {
    let mut out = Vec::new();
    with_reader(session, |r| {
        r.scan(def(catalog), |tid, row| {
            let n = match row.get(4) {
                Some(Datum::Int2(v)) => *v,
                _ => 0,
            };
            if pick(oid_at(&row, 1), n, oid_at(&row, 2), oid_at(&row, 3)) {
                out.push((tid, oid_at(&row, 0)));
            }
            Ok(true)
        })
    })?;
    Ok(out)
}

/// ALTER OPERATOR FAMILY name USING method ADD / DROP / RENAME TO /
/// OWNER TO / SET SCHEMA.
pub fn alter_family(session: &mut Session, a: &AlterOperatorFamily) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER OPERATOR FAMILY")?;
    let (method, amname, max_ops, max_procs) = access_method(session, &a.using)?;
    match &a.operation {
        AlterOperatorFamilyOperation::Add { items } => {
            let Some(family) = find(session, Kind::Family, &a.name, method)? else {
                return Err(not_found(Kind::Family, &a.name, &amname));
            };
            require_superuser(session, "alter an operator family")?;
            let mut ops = Vec::new();
            let mut procs = Vec::new();
            for item in items {
                match item {
                    OperatorFamilyItem::Operator {
                        strategy_number,
                        operator_name,
                        op_types,
                        purpose,
                    } => {
                        check_number("operator", *strategy_number, max_ops)?;
                        let types = types_of(session, op_types)?;
                        ops.push(operator_member(
                            session,
                            *strategy_number,
                            max_ops,
                            operator_name,
                            types,
                            purpose.as_ref(),
                            method,
                        )?);
                    }
                    OperatorFamilyItem::Function {
                        support_number,
                        op_types,
                        function_name,
                        argument_types,
                    } => procs.push(function_member(
                        session,
                        &amname,
                        *support_number,
                        max_procs,
                        op_types.as_deref(),
                        function_name,
                        argument_types,
                        0,
                    )?),
                }
            }
            add_members(session, &family, method, None, ops, procs)?;
        }
        AlterOperatorFamilyOperation::Drop { items } => {
            let Some(family) = find(session, Kind::Family, &a.name, method)? else {
                return Err(not_found(Kind::Family, &a.name, &amname));
            };
            require_superuser(session, "alter an operator family")?;
            let mut doomed: Vec<(u32, Vec<(ItemPointer, u32)>)> = Vec::new();
            for item in items {
                let (catalog, what, number, max, types) = match item {
                    OperatorFamilyDropItem::Operator {
                        strategy_number,
                        op_types,
                    } => (PG_AMOP, "operator", *strategy_number, max_ops, op_types),
                    OperatorFamilyDropItem::Function {
                        support_number,
                        op_types,
                    } => (PG_AMPROC, "function", *support_number, max_procs, op_types),
                };
                let n = check_number(what, number, max)?;
                let (l, r) = types_of(session, types)?;
                let found = members(session, catalog, |f, num, left, right| {
                    f == family.oid && num == n && left == l && right == r
                })?;
                if found.is_empty() {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!(
                            "{what} {n}({},{}) does not exist in operator family \"{}\"",
                            oid::format_type(l, -1),
                            oid::format_type(r, -1),
                            family.name
                        ),
                    ));
                }
                doomed.push((catalog, found));
            }
            for (catalog, found) in doomed {
                delete_members(session, catalog, &found)?;
            }
        }
        AlterOperatorFamilyOperation::RenameTo { new_name } => {
            rename(session, Kind::Family, &a.name, method, &amname, new_name)?;
        }
        AlterOperatorFamilyOperation::OwnerTo(owner) => {
            change_owner(session, Kind::Family, &a.name, method, &amname, owner)?;
        }
        AlterOperatorFamilyOperation::SetSchema { schema_name } => {
            set_schema(session, Kind::Family, &a.name, method, &amname, schema_name)?;
        }
    }
    catalog_changed(session);
    Ok(Outcome::Command("ALTER OPERATOR FAMILY".into()))
}

/// ALTER OPERATOR CLASS name USING method RENAME TO / OWNER TO / SET SCHEMA.
pub fn alter_class(session: &mut Session, a: &AlterOperatorClass) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER OPERATOR CLASS")?;
    let (method, amname, _, _) = access_method(session, &a.using)?;
    match &a.operation {
        AlterOperatorClassOperation::RenameTo { new_name } => {
            rename(session, Kind::Class, &a.name, method, &amname, new_name)?;
        }
        AlterOperatorClassOperation::OwnerTo(owner) => {
            change_owner(session, Kind::Class, &a.name, method, &amname, owner)?;
        }
        AlterOperatorClassOperation::SetSchema { schema_name } => {
            set_schema(session, Kind::Class, &a.name, method, &amname, schema_name)?;
        }
    }
    catalog_changed(session);
    Ok(Outcome::Command("ALTER OPERATOR CLASS".into()))
}

fn already_in_schema(
    session: &mut Session,
    kind: Kind,
    name: &str,
    amname: &str,
    nsp: u32,
) -> PgResult<PgError> {
    let schema = super::namespace_name(session, nsp)?;
    Ok(PgError::new(
        SqlState::DuplicateObject,
        format!(
            "{} \"{name}\" for access method \"{amname}\" already exists in schema \"{schema}\"",
            kind.word()
        ),
    ))
}

fn rename(
    session: &mut Session,
    kind: Kind,
    name: &ObjectName,
    method: u32,
    amname: &str,
    new_name: &ObjectName,
) -> PgResult<()> {
    let Some(mut row) = find(session, kind, name, method)? else {
        return Err(not_found(kind, name, amname));
    };
    let new = last_name(new_name);
    if exists_in(session, kind, row.namespace, &new, method)? {
        return Err(already_in_schema(
            session,
            kind,
            &new,
            amname,
            row.namespace,
        )?);
    }
    require_owner(session, kind, &row)?;
    if !session.is_superuser {
        crate::acl::require_schema_create(session, row.namespace)?;
    }
    row.name = new;
    save(session, kind, &row, false)
}

fn change_owner(
    session: &mut Session,
    kind: Kind,
    name: &ObjectName,
    method: u32,
    amname: &str,
    owner: &sqlparser::ast::Owner,
) -> PgResult<()> {
    let Some(mut row) = find(session, kind, name, method)? else {
        return Err(not_found(kind, name, amname));
    };
    let graph = RoleGraph::load(session)?;
    let new = crate::acl::owner_role(session, &graph, owner)?;
    if new.oid == row.owner {
        return Ok(());
    }
    if !session.is_superuser {
        require_owner(session, kind, &row)?;
        if !graph.is_member_of(session.user_oid, new.oid) {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                format!("must be member of role \"{}\"", new.name),
            ));
        }
        if let Some((schema, privs)) =
            crate::acl::schema_privileges(session, &graph, new.oid, row.namespace)?
            && privs & catalog::acl::ACL_CREATE == 0
        {
            return Err(crate::acl::permission_denied("schema", &schema));
        }
    }
    row.owner = new.oid;
    save(session, kind, &row, false)
}

fn set_schema(
    session: &mut Session,
    kind: Kind,
    name: &ObjectName,
    method: u32,
    amname: &str,
    schema: &ObjectName,
) -> PgResult<()> {
    let Some(mut row) = find(session, kind, name, method)? else {
        return Err(not_found(kind, name, amname));
    };
    let target = last_name(schema);
    let Some(nsp) = relcache::namespace_oid(session, &target)? else {
        return Err(PgError::new(
            SqlState::InvalidSchemaName,
            format!("schema \"{target}\" does not exist"),
        ));
    };
    if nsp == row.namespace {
        return Ok(());
    }
    if exists_in(session, kind, nsp, &row.name, method)? {
        return Err(already_in_schema(
            session,
            kind,
            &row.name.clone(),
            amname,
            nsp,
        )?);
    }
    require_owner(session, kind, &row)?;
    if !session.is_superuser {
        crate::acl::require_schema_create(session, nsp)?;
    }
    row.namespace = nsp;
    save(session, kind, &row, false)
}

/// Deletes a class (and the members it brought) or a family (and its
/// classes and members), with their comments.
fn delete(session: &mut Session, kind: Kind, row: &Named) -> PgResult<()> {
    let (refclass, classes) = match kind {
        Kind::Class => (PG_OPCLASS, vec![row.clone()]),
        Kind::Family => (
            PG_OPFAMILY,
            rows(session, Kind::Class)?
                .into_iter()
                .filter(|c| c.family == row.oid)
                .collect(),
        ),
    };
    let mut owners = vec![(refclass, row.oid)];
    owners.extend(classes.iter().map(|c| (PG_OPCLASS, c.oid)));
    for (refclass, refoid) in owners {
        let deps = with_reader(session, |r| r.dependents(refclass, refoid))?;
        for catalog in [PG_AMOP, PG_AMPROC] {
            let oids: Vec<u32> = deps
                .iter()
                .filter(|(_, d)| d.classid == catalog)
                .map(|(_, d)| d.objid)
                .collect();
            let found = members(session, catalog, |_, _, _, _| true)?
                .into_iter()
                .filter(|(_, oid)| oids.contains(oid))
                .collect::<Vec<_>>();
            delete_members(session, catalog, &found)?;
        }
    }
    if kind == Kind::Family {
        // Members added to the family by classes it held went above; any
        // left (added by ALTER ... ADD) are its own.
        for catalog in [PG_AMOP, PG_AMPROC] {
            let found = members(session, catalog, |f, _, _, _| f == row.oid)?;
            delete_members(session, catalog, &found)?;
        }
    }
    let mut gone: Vec<(u32, ItemPointer, u32)> =
        classes.iter().map(|c| (PG_OPCLASS, c.tid, c.oid)).collect();
    if kind == Kind::Family {
        gone.push((PG_OPFAMILY, row.tid, row.oid));
    }
    let mut comments = Vec::new();
    for &(catalog, _, oid) in &gone {
        comments.extend(with_reader(session, |r| {
            r.description_rows(catalog, oid, None)
        })?);
    }
    write(session, |cw, w| {
        for &(catalog, tid, _) in &gone {
            cw.delete_row(def(catalog), tid, w)?;
        }
        cw.delete_rows(&comments, w)
    })
}

fn drop_objects(
    session: &mut Session,
    kind: Kind,
    names: &[ObjectName],
    using: &Ident,
    if_exists: bool,
) -> PgResult<()> {
    let (method, amname, _, _) = access_method(session, using)?;
    let mut found = Vec::new();
    for name in names {
        match find(session, kind, name, method)? {
            Some(r) => found.push(r),
            None if if_exists => session.notice(
                "00000",
                format!(
                    "{} \"{}\" does not exist for access method \"{amname}\", skipping",
                    kind.word(),
                    last_name(name)
                ),
            ),
            None => return Err(not_found(kind, name, &amname)),
        }
    }
    for r in &found {
        require_owner(session, kind, r)?;
    }
    for r in &found {
        delete(session, kind, r)?;
    }
    catalog_changed(session);
    Ok(())
}

/// DROP OPERATOR FAMILY [IF EXISTS] name [, ...] USING method [CASCADE | RESTRICT].
pub fn drop_family(session: &mut Session, d: &DropOperatorFamily) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP OPERATOR FAMILY")?;
    drop_objects(session, Kind::Family, &d.names, &d.using, d.if_exists)?;
    Ok(Outcome::Command("DROP OPERATOR FAMILY".into()))
}

/// DROP OPERATOR CLASS [IF EXISTS] name [, ...] USING method [CASCADE | RESTRICT].
pub fn drop_class(session: &mut Session, d: &DropOperatorClass) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP OPERATOR CLASS")?;
    drop_objects(session, Kind::Class, &d.names, &d.using, d.if_exists)?;
    Ok(Outcome::Command("DROP OPERATOR CLASS".into()))
}

/// Whether a user operator class of `method` named `name` (perhaps
/// `schema.name`) exists: what CREATE INDEX asks before it refuses it.
pub(crate) fn user_class_exists(session: &mut Session, name: &str, method: u32) -> PgResult<bool> {
    let quoted = |s: &str| Ident::with_quote('"', s);
    let parsed = match name.rsplit_once('.') {
        Some((s, n)) => ObjectName::from(vec![quoted(s), quoted(n)]),
        None => ObjectName::from(vec![quoted(name)]),
    };
    Ok(find(session, Kind::Class, &parsed, method)?
        .is_some_and(|c| c.namespace != catalog::system::PG_CATALOG_NAMESPACE))
}

/// The operator families of schema `namespace`, described as DROP SCHEMA
/// lists them (their classes go with them).
pub(crate) fn in_namespace(session: &Session, namespace: u32) -> PgResult<Vec<String>> {
    Ok(rows(session, Kind::Family)?
        .into_iter()
        .filter(|f| f.namespace == namespace)
        .map(|f| {
            let am = catalog::system::ACCESS_METHODS
                .iter()
                .find(|m| m.0 == f.method)
                .map_or("", |m| m.1);
            format!("operator family {} for access method {am}", f.name)
        })
        .collect())
}

/// Drops the operator families and classes of schema `namespace` (DROP
/// SCHEMA ... CASCADE).
pub(crate) fn drop_in_namespace(session: &mut Session, namespace: u32) -> PgResult<()> {
    for c in rows(session, Kind::Class)?
        .into_iter()
        .filter(|c| c.namespace == namespace)
    {
        delete(session, Kind::Class, &c)?;
        crate::xact::command_counter_increment(session)?;
    }
    for f in rows(session, Kind::Family)?
        .into_iter()
        .filter(|f| f.namespace == namespace)
    {
        delete(session, Kind::Family, &f)?;
        crate::xact::command_counter_increment(session)?;
    }
    Ok(())
}
