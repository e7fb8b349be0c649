//! User operators (PostgreSQL's `operatorcmds.c` and `pg_operator.c`):
//! CREATE OPERATOR, DROP OPERATOR, ALTER OPERATOR ... OWNER TO / SET SCHEMA
//! / SET (...), the target of COMMENT ON OPERATOR, and the lookup the
//! planner uses to resolve an operator of user types (see
//! `planner::analyze::expr`'s `user_operator`).
//!
//! The built-in operators are not rows of `pg_operator` here (the planner
//! knows them from its function table); a user operator is. Its function
//! (`oprcode`) is kept by name, as `pg_aggregate` keeps its support
//! functions, so that it may be a built-in one (`int4pl`, `path_inter`)
//! as well as a user function; it is resolved again for the operator's
//! argument types where the operator is used. `oprrest` and `oprjoin` are
//! names too (`-` for none). A COMMUTATOR or NEGATOR that does not exist
//! yet is made as a shell operator (no function, `oprcode` `-`), which a
//! later CREATE OPERATOR of that name and types fills in, as PostgreSQL
//! does. An operator whose function is a user function depends on it
//! (`pg_depend`), so that DROP FUNCTION refuses or cascades.

use std::sync::Arc;

use sqlparser::ast::{
    AlterOperator, AlterOperatorOperation, CreateOperator, DataType, DropOperator, ObjectName,
    OperatorOption,
};

use catalog::empty::PG_OPERATOR;
use catalog::heap_catalog::CatalogWriter;
use catalog::system::{CatalogDef, DependRow, PG_PROC};
use storage::page::ItemPointer;
use types::oid::{self, BOOL};
use types::{Datum, PgError, PgResult, SqlState};

use super::catalog_changed;
use crate::acl::RoleGraph;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

fn def() -> &'static CatalogDef {
    catalog::empty::CATALOGS
        .iter()
        .find(|c| c.oid == PG_OPERATOR)
        .expect("pg_operator is defined")
}

/// A `pg_operator` row.
#[derive(Debug, Clone)]
pub(crate) struct OperatorRow {
    pub tid: ItemPointer,
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub owner: u32,
    /// `b` infix, `l` prefix.
    pub kind: char,
    pub canmerge: bool,
    pub canhash: bool,
    pub left: u32,
    pub right: u32,
    pub result: u32,
    pub com: u32,
    pub negate: u32,
    /// The function's name; `-` for a shell operator.
    pub code: String,
    pub rest: String,
    pub join: String,
}

impl OperatorRow {
    fn from_datums(tid: ItemPointer, r: &[Datum]) -> OperatorRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let text = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => s.clone(),
            _ => "-".into(),
        };
        let flag = |i: usize| matches!(r.get(i), Some(Datum::Bool(true)));
        OperatorRow {
            tid,
            oid: oid_at(0),
            name: text(1),
            namespace: oid_at(2),
            owner: oid_at(3),
            kind: text(4).chars().next().unwrap_or('b'),
            canmerge: flag(5),
            canhash: flag(6),
            left: oid_at(7),
            right: oid_at(8),
            result: oid_at(9),
            com: oid_at(10),
            negate: oid_at(11),
            code: text(12),
            rest: text(13),
            join: text(14),
        }
    }

    fn datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            Datum::Oid(self.owner),
            Datum::Text(self.kind.to_string()),
            Datum::Bool(self.canmerge),
            Datum::Bool(self.canhash),
            Datum::Oid(self.left),
            Datum::Oid(self.right),
            Datum::Oid(self.result),
            Datum::Oid(self.com),
            Datum::Oid(self.negate),
            Datum::Text(self.code.clone()),
            Datum::Text(self.rest.clone()),
            Datum::Text(self.join.clone()),
        ]
    }

    fn is_shell(&self) -> bool {
        self.code == "-"
    }

    /// `name(left,right)` as PostgreSQL describes an operator in messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "operator {}({},{})",
            self.name,
            type_label(self.left),
            type_label(self.right)
        )
    }
}

fn type_label(t: u32) -> String {
    if t == 0 {
        "NONE".into()
    } else {
        oid::format_type(t, -1)
    }
}

/// Every `pg_operator` row.
pub(crate) fn operators(session: &Session) -> PgResult<Vec<OperatorRow>> {
    let mut out = Vec::new();
    with_reader(session, |r| {
        r.scan(def(), |tid, row| {
            out.push(OperatorRow::from_datums(tid, &row));
            Ok(true)
        })
    })?;
    Ok(out)
}

/// The user operators `name` on the search_path (or in `schema`), nearest
/// schema first; cached with the relation cache.
pub fn lookup(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<Vec<Arc<planner::OperatorDesc>>> {
    relcache::accept_invalidations(session);
    if session.relcache.operator_names.is_none() {
        let names = operators(session)?.into_iter().map(|o| o.name).collect();
        session.relcache.operator_names = Some(names);
    }
    if !session
        .relcache
        .operator_names
        .as_ref()
        .is_some_and(|n| n.contains(name))
    {
        return Ok(Vec::new());
    }
    let namespaces = match schema {
        Some(s) => relcache::namespace_oid(session, s)?.into_iter().collect(),
        None => relcache::search_path(session)?,
    };
    let all = operators(session)?;
    let mut out = Vec::new();
    for nsp in namespaces {
        for o in all.iter().filter(|o| o.namespace == nsp && o.name == name) {
            // Nearer schemas hide farther operators of the same types.
            if out
                .iter()
                .any(|d: &Arc<planner::OperatorDesc>| d.left == o.left && d.right == o.right)
            {
                continue;
            }
            out.push(Arc::new(planner::OperatorDesc {
                oid: o.oid,
                name: o.name.clone(),
                left: o.left,
                right: o.right,
                result: o.result,
                function: o.code.clone(),
            }));
        }
    }
    Ok(out)
}

/// `[schema.]op` of an operator name.
fn split_operator_name(name: &ObjectName) -> PgResult<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p.as_ident() {
            Some(id) if id.quote_style.is_some() => id.value.clone(),
            Some(id) => id.value.to_lowercase(),
            None => p.to_string(),
        })
        .collect();
    match parts.as_slice() {
        [op] => Ok((None, op.clone())),
        [schema, op] => Ok((Some(schema.clone()), op.clone())),
        _ => Err(PgError::syntax(
            format!("improper qualified name (too many dotted names): {name}"),
            None,
        )),
    }
}

/// PostgreSQL's lexer takes these characters into an operator name.
fn check_operator_name(name: &str) -> PgResult<()> {
    let valid = !name.is_empty()
        && name.len() < 64
        && name.chars().all(|c| "+-*/<>=~!@#%^&|`?".contains(c))
        && name != "=>"
        && !name.contains("--")
        && !name.contains("/*");
    if valid {
        Ok(())
    } else {
        Err(PgError::syntax(
            format!("syntax error at or near \"{name}\""),
            None,
        ))
    }
}

fn resolve_type(session: &mut Session, dt: &DataType) -> PgResult<u32> {
    super::typecmds::resolve_type(session, dt).map(|(t, _)| t)
}

/// The namespace `schema` names (3F000 if none) or the search_path's.
fn lookup_namespaces(session: &mut Session, schema: Option<&str>) -> PgResult<Vec<u32>> {
    match schema {
        Some(s) => match relcache::namespace_oid(session, s)? {
            Some(n) => Ok(vec![n]),
            None => Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{s}\" does not exist"),
            )),
        },
        None => relcache::search_path(session),
    }
}

/// The operator `[schema.]name(left, right)` (0 for NONE), nearest schema
/// first.
fn find(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
    left: u32,
    right: u32,
) -> PgResult<Option<OperatorRow>> {
    if let Some(s) = schema
        && relcache::namespace_oid(session, s)?.is_none()
    {
        return Ok(None);
    }
    let namespaces = lookup_namespaces(session, schema)?;
    let all = operators(session)?;
    Ok(namespaces.iter().find_map(|&n| {
        all.iter()
            .find(|o| o.namespace == n && o.name == name && o.left == left && o.right == right)
            .cloned()
    }))
}

fn missing(schema: Option<&str>, name: &str, left: u32, right: u32) -> PgError {
    let qualified = match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_owned(),
    };
    let what = if left == 0 {
        format!("{qualified} {}", oid::format_type(right, -1))
    } else {
        format!(
            "{} {qualified} {}",
            oid::format_type(left, -1),
            oid::format_type(right, -1)
        )
    };
    PgError::new(
        SqlState::UndefinedFunction,
        format!("operator does not exist: {what}"),
    )
}

fn definition_error(msg: &str) -> PgError {
    PgError::new(SqlState::InvalidFunctionDefinition, msg)
}

/// The function `FUNCTION = name` names for these argument types: its
/// name as `oprcode` keeps it, its result type and its OID if it is a
/// user function.
fn operator_function(
    session: &mut Session,
    name: &ObjectName,
    args: &[u32],
) -> PgResult<(String, u32, Option<u32>)> {
    let (schema, fname) = super::split_name(name)?;
    let user = crate::commands::function::lookup(session, schema.as_deref(), &fname)?;
    if let Some(f) = user
        .iter()
        .find(|f| !f.procedure && f.arg_types == args && !f.retset)
    {
        let code = match &schema {
            Some(s) => format!("{s}.{fname}"),
            None => fname.clone(),
        };
        return Ok((code, f.ret_type, Some(f.oid)));
    }
    if schema.as_deref().is_none_or(|s| s == "pg_catalog")
        && let Some(d) = planner::analyze::func::exact_builtin(&fname, args)
    {
        return Ok((fname, d.ret, None));
    }
    let sig: Vec<String> = args.iter().map(|&t| oid::format_type(t, -1)).collect();
    Err(PgError::new(
        SqlState::UndefinedFunction,
        format!("function {name}({}) does not exist", sig.join(", ")),
    ))
}

/// A built-in selectivity estimator that RESTRICT / JOIN may name.
fn estimator(name: &ObjectName) -> PgResult<String> {
    let (schema, f) = super::split_name(name)?;
    const KNOWN: [&str; 20] = [
        "eqsel",
        "neqsel",
        "scalarltsel",
        "scalarlesel",
        "scalargtsel",
        "scalargesel",
        "eqjoinsel",
        "neqjoinsel",
        "scalarltjoinsel",
        "scalarlejoinsel",
        "scalargtjoinsel",
        "scalargejoinsel",
        "areasel",
        "areajoinsel",
        "positionsel",
        "positionjoinsel",
        "contsel",
        "contjoinsel",
        "matchingsel",
        "matchingjoinsel",
    ];
    if schema.as_deref().is_none_or(|s| s == "pg_catalog") && KNOWN.contains(&f.as_str()) {
        return Ok(f);
    }
    Err(PgError::new(
        SqlState::UndefinedFunction,
        format!("function {name}(internal, oid, internal, integer) does not exist"),
    ))
}

fn depend_on_function(op: u32, function: u32) -> DependRow {
    DependRow {
        classid: PG_OPERATOR,
        objid: op,
        objsubid: 0,
        refclassid: PG_PROC,
        refobjid: function,
        refobjsubid: 0,
        deptype: 'n',
    }
}

fn insert(session: &mut Session, row: &OperatorRow, depends_on: Option<u32>) -> PgResult<()> {
    let db = session.database_oid;
    let datums = row.datums();
    let oid = row.oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.insert_row(def(), &datums, w)?;
        if let Some(f) = depends_on {
            cw.add_dependency(w, &depend_on_function(oid, f))?;
        }
        Ok(())
    })
}

fn replace(session: &mut Session, row: &OperatorRow) -> PgResult<()> {
    let db = session.database_oid;
    let datums = row.datums();
    let tid = row.tid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.replace_row(def(), tid, &datums, w)
    })
}

/// The operator a COMMUTATOR or NEGATOR clause names, made as a shell
/// when there is none (in the new operator's schema unless qualified).
fn other_operator(
    session: &mut Session,
    name: &ObjectName,
    (left, right): (u32, u32),
    namespace: u32,
    back_link: (u32, u32),
) -> PgResult<(u32, bool)> {
    let (schema, op) = split_operator_name(name)?;
    check_operator_name(&op)?;
    if let Some(o) = find(session, schema.as_deref(), &op, left, right)? {
        return Ok((o.oid, false));
    }
    // A built-in operator has no pg_operator row to point at.
    if schema.as_deref().is_none_or(|s| s == "pg_catalog")
        && matches!(
            planner::analyze::func::resolve(&op, &[left, right]),
            planner::analyze::func::Resolution::Found(d) if d.args == [left, right]
        )
    {
        return Ok((0, false));
    }
    let nsp = match &schema {
        Some(s) => relcache::creation_namespace(session, Some(s))?,
        None => namespace,
    };
    let oid = session.storage.transam.new_oid()?;
    let shell = OperatorRow {
        tid: ItemPointer::default(),
        oid,
        name: op,
        namespace: nsp,
        owner: session.user_oid,
        kind: 'b',
        canmerge: false,
        canhash: false,
        left,
        right,
        result: 0,
        com: back_link.0,
        negate: back_link.1,
        code: "-".into(),
        rest: "-".into(),
        join: "-".into(),
    };
    insert(session, &shell, None)?;
    crate::xact::command_counter_increment(session)?;
    Ok((oid, true))
}

/// CREATE OPERATOR name (FUNCTION = f, LEFTARG, RIGHTARG, COMMUTATOR,
/// NEGATOR, RESTRICT, JOIN, HASHES, MERGES).
pub fn create_operator(session: &mut Session, co: &CreateOperator) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE OPERATOR")?;
    let (schema, name) = split_operator_name(&co.name)?;
    check_operator_name(&name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    let left = match &co.left_arg {
        Some(t) => resolve_type(session, t)?,
        None => 0,
    };
    let right = match &co.right_arg {
        Some(t) => resolve_type(session, t)?,
        None => 0,
    };
    if right == 0 {
        return Err(if left == 0 {
            definition_error("operator argument types must be specified")
        } else {
            definition_error("operator right argument type must be specified")
                .with_detail("Postfix operators are not supported.")
        });
    }
    let args: Vec<u32> = if left == 0 {
        vec![right]
    } else {
        vec![left, right]
    };
    // PostgreSQL's privilege checks: USAGE of the argument types, EXECUTE
    // of the function, USAGE of its result type.
    for &t in &args {
        crate::acl::require_type_usage(session, t)?;
    }
    let (code, result, function_oid) = operator_function(session, &co.function, &args)?;
    if let Some(f) = function_oid {
        crate::acl::require_function_execute(session, &[f])?;
    }
    crate::acl::require_type_usage(session, result)?;
    let mut canhash = false;
    let mut canmerge = false;
    let mut rest = "-".to_owned();
    let mut join = "-".to_owned();
    let mut commutator = None;
    let mut negator = None;
    for option in &co.options {
        match option {
            OperatorOption::Hashes => canhash = true,
            OperatorOption::Merges => canmerge = true,
            OperatorOption::Restrict(f) => {
                rest = f.as_ref().map_or(Ok("-".to_owned()), estimator)?;
            }
            OperatorOption::Join(f) => join = f.as_ref().map_or(Ok("-".to_owned()), estimator)?,
            OperatorOption::Commutator(n) => commutator = Some(n.clone()),
            OperatorOption::Negator(n) => negator = Some(n.clone()),
        }
    }
    // PostgreSQL's checks, in its order.
    if left == 0 {
        if commutator.is_some() {
            return Err(definition_error(
                "only binary operators can have commutators",
            ));
        }
        if join != "-" {
            return Err(definition_error(
                "only binary operators can have join selectivity",
            ));
        }
        if canmerge {
            return Err(definition_error("only binary operators can merge join"));
        }
        if canhash {
            return Err(definition_error("only binary operators can hash"));
        }
    }
    if result != BOOL {
        if negator.is_some() {
            return Err(definition_error("only boolean operators can have negators"));
        }
        if rest != "-" {
            return Err(definition_error(
                "only boolean operators can have restriction selectivity",
            ));
        }
        if join != "-" {
            return Err(definition_error(
                "only boolean operators can have join selectivity",
            ));
        }
        if canmerge {
            return Err(definition_error("only boolean operators can merge join"));
        }
        if canhash {
            return Err(definition_error("only boolean operators can hash"));
        }
    }
    // An existing operator of this name and types is an error, unless it
    // is a shell made by an earlier COMMUTATOR / NEGATOR, which is filled.
    let existing = operators(session)?
        .into_iter()
        .find(|o| o.namespace == namespace && o.name == name && o.left == left && o.right == right);
    if existing.as_ref().is_some_and(|o| !o.is_shell()) {
        return Err(PgError::new(
            SqlState::DuplicateFunction,
            format!("operator {name} already exists"),
        ));
    }
    let oid = match &existing {
        Some(o) => o.oid,
        None => session.storage.transam.new_oid()?,
    };
    // The commutator (right, left) and negator (left, right), made as
    // shells pointing back here when missing; existing ones are linked
    // back after this row is written.
    // A shell's links are replaced by the definition's, as PostgreSQL does.
    let mut com = 0;
    let mut negate = 0;
    let mut link_back = Vec::new();
    if let Some(n) = &commutator {
        let (cschema, op) = split_operator_name(n)?;
        if op == name && left == right && cschema.is_none() {
            com = oid;
        } else {
            let (c, made) = other_operator(session, n, (right, left), namespace, (oid, 0))?;
            com = c;
            if !made && c != 0 {
                link_back.push((c, true));
            }
        }
    }
    if let Some(n) = &negator {
        let (nschema, op) = split_operator_name(n)?;
        if op == name && nschema.is_none() {
            return Err(definition_error("operator cannot be its own negator"));
        }
        let (c, made) = other_operator(session, n, (left, right), namespace, (0, oid))?;
        negate = c;
        if !made && c != 0 {
            link_back.push((c, false));
        }
    }
    let row = OperatorRow {
        tid: existing.as_ref().map(|o| o.tid).unwrap_or_default(),
        oid,
        name: name.clone(),
        namespace,
        owner: existing.as_ref().map_or(session.user_oid, |o| o.owner),
        kind: if left == 0 { 'l' } else { 'b' },
        canmerge,
        canhash,
        left,
        right,
        result,
        com,
        negate,
        code,
        rest,
        join,
    };
    match &existing {
        Some(_) => {
            replace(session, &row)?;
            if let Some(f) = function_oid {
                let db = session.database_oid;
                crate::xact::with_write(session, |env, w| {
                    CatalogWriter { env, db_oid: db }.add_dependency(w, &depend_on_function(oid, f))
                })?;
            }
        }
        None => insert(session, &row, function_oid)?,
    }
    for (other, is_commutator) in link_back {
        link(session, other, |o| {
            if is_commutator && o.com == 0 {
                o.com = oid;
            } else if !is_commutator && o.negate == 0 {
                o.negate = oid;
            }
        })?;
    }
    catalog_changed(session);
    Ok(Outcome::Command("CREATE OPERATOR".into()))
}

/// Changes operator `oid`'s row with `f`.
fn link(session: &mut Session, oid: u32, f: impl FnOnce(&mut OperatorRow)) -> PgResult<()> {
    if let Some(mut o) = operators(session)?.into_iter().find(|o| o.oid == oid) {
        f(&mut o);
        replace(session, &o)?;
    }
    Ok(())
}

/// The argument types of a `name (left, right)` reference (`NONE` left
/// for a prefix operator; a NONE right is PostgreSQL's 42601).
fn signature_types(
    session: &mut Session,
    left: Option<&DataType>,
    right: &DataType,
) -> PgResult<(u32, u32)> {
    let is_none = |t: &DataType| matches!(t, DataType::Custom(n, m) if m.is_empty() && n.to_string().eq_ignore_ascii_case("none"));
    if is_none(right) {
        return Err(PgError::syntax("postfix operators are not supported", None));
    }
    let l = match left {
        Some(t) if !is_none(t) => resolve_type(session, t)?,
        _ => 0,
    };
    Ok((l, resolve_type(session, right)?))
}

fn require_owner(session: &Session, o: &OperatorRow) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    if graph.has_privs_of(session.user_oid, o.owner) {
        return Ok(());
    }
    Err(crate::acl::must_be_owner("operator", &o.name))
}

/// The `pg_depend` rows of operator `oid` and its comments: what goes
/// with it.
fn own_rows(session: &Session, oid: u32) -> PgResult<Vec<(u32, ItemPointer)>> {
    let mut rows = with_reader(session, |r| r.description_rows(PG_OPERATOR, oid, None))?;
    let deps = with_reader(session, |r| r.dependencies(PG_OPERATOR, oid))?;
    rows.extend(
        deps.into_iter()
            .map(|(tid, _)| (catalog::system::PG_DEPEND, tid)),
    );
    Ok(rows)
}

/// Deletes operator `o`, with its dependencies and comments, and clears
/// the commutator / negator links of the operators that named it.
fn delete_operator(session: &mut Session, o: &OperatorRow, doomed: &[u32]) -> PgResult<()> {
    let mut rows = own_rows(session, o.oid)?;
    rows.push((PG_OPERATOR, o.tid));
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        for &(catalog, tid) in &rows {
            if catalog == PG_OPERATOR {
                cw.delete_row(def(), tid, w)?;
            } else {
                cw.delete_rows(&[(catalog, tid)], w)?;
            }
        }
        Ok(())
    })?;
    for other in operators(session)? {
        if doomed.contains(&other.oid) {
            continue;
        }
        if other.com == o.oid || other.negate == o.oid {
            let mut changed = other.clone();
            if changed.com == o.oid {
                changed.com = 0;
            }
            if changed.negate == o.oid {
                changed.negate = 0;
            }
            replace(session, &changed)?;
        }
    }
    Ok(())
}

/// DROP OPERATOR [IF EXISTS] name (left, right) [, ...] [CASCADE | RESTRICT].
pub fn drop_operator(session: &mut Session, d: &DropOperator) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP OPERATOR")?;
    let mut found = Vec::new();
    for sig in &d.operators {
        let (schema, name) = split_operator_name(&sig.name)?;
        let (left, right) = signature_types(session, sig.left_type.as_ref(), &sig.right_type)?;
        if let Some(s) = &schema
            && relcache::namespace_oid(session, s)?.is_none()
        {
            if d.if_exists {
                session.notice(
                    "00000",
                    format!("operator {s}.{name} does not exist, skipping"),
                );
                continue;
            }
            return Err(missing(Some(s), &name, left, right));
        }
        match find(session, schema.as_deref(), &name, left, right)? {
            Some(o) => found.push(o),
            None if d.if_exists => {
                let qualified = match &schema {
                    Some(s) => format!("{s}.{name}"),
                    None => name.clone(),
                };
                session.notice(
                    "00000",
                    format!("operator {qualified} does not exist, skipping"),
                );
            }
            None => return Err(missing(schema.as_deref(), &name, left, right)),
        }
    }
    for o in &found {
        require_owner(session, o)?;
    }
    let doomed: Vec<u32> = found.iter().map(|o| o.oid).collect();
    for o in &found {
        delete_operator(session, o, &doomed)?;
    }
    catalog_changed(session);
    Ok(Outcome::Command("DROP OPERATOR".into()))
}

/// ALTER OPERATOR name (left, right) OWNER TO / SET SCHEMA / SET (...).
pub fn alter_operator(session: &mut Session, a: &AlterOperator) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER OPERATOR")?;
    let (schema, name) = split_operator_name(&a.name)?;
    let (left, right) = signature_types(session, a.left_type.as_ref(), &a.right_type)?;
    let Some(mut o) = find(session, schema.as_deref(), &name, left, right)? else {
        return Err(missing(schema.as_deref(), &name, left, right));
    };
    match &a.operation {
        AlterOperatorOperation::OwnerTo(owner) => {
            let graph = RoleGraph::load(session)?;
            let new = crate::acl::owner_role(session, &graph, owner)?;
            if new.oid != o.owner {
                if !session.is_superuser {
                    require_owner(session, &o)?;
                    if !graph.is_member_of(session.user_oid, new.oid) {
                        return Err(PgError::new(
                            SqlState::InsufficientPrivilege,
                            format!("must be member of role \"{}\"", new.name),
                        ));
                    }
                    if let Some((schema, privs)) =
                        crate::acl::schema_privileges(session, &graph, new.oid, o.namespace)?
                        && privs & catalog::acl::ACL_CREATE == 0
                    {
                        return Err(crate::acl::permission_denied("schema", &schema));
                    }
                }
                o.owner = new.oid;
                replace(session, &o)?;
            }
        }
        AlterOperatorOperation::SetSchema { schema_name } => {
            require_owner(session, &o)?;
            let target = super::split_name(schema_name)?.1;
            let nsp = relcache::creation_namespace(session, Some(&target))?;
            if nsp != o.namespace {
                let clash = operators(session)?.into_iter().any(|x| {
                    x.namespace == nsp && x.name == o.name && x.left == left && x.right == right
                });
                if clash {
                    return Err(PgError::new(
                        SqlState::DuplicateFunction,
                        format!(
                            "operator {}({},{}) already exists in schema \"{target}\"",
                            o.name,
                            type_label(left),
                            type_label(right)
                        ),
                    ));
                }
                o.namespace = nsp;
                replace(session, &o)?;
            }
        }
        AlterOperatorOperation::Set { options } => {
            require_owner(session, &o)?;
            for option in options {
                match option {
                    OperatorOption::Restrict(f) => {
                        let f = f.as_ref().map_or(Ok("-".to_owned()), estimator)?;
                        if f != "-" && o.result != BOOL {
                            return Err(definition_error(
                                "only boolean operators can have restriction selectivity",
                            ));
                        }
                        o.rest = f;
                    }
                    OperatorOption::Join(f) => {
                        let f = f.as_ref().map_or(Ok("-".to_owned()), estimator)?;
                        if f != "-" && o.kind != 'b' {
                            return Err(definition_error(
                                "only binary operators can have join selectivity",
                            ));
                        }
                        if f != "-" && o.result != BOOL {
                            return Err(definition_error(
                                "only boolean operators can have join selectivity",
                            ));
                        }
                        o.join = f;
                    }
                    other => {
                        let attr = match other {
                            OperatorOption::Commutator(_) => "commutator",
                            OperatorOption::Negator(_) => "negator",
                            OperatorOption::Hashes => "hashes",
                            _ => "merges",
                        };
                        return Err(PgError::syntax(
                            format!("operator attribute \"{attr}\" cannot be changed"),
                            None,
                        ));
                    }
                }
            }
            replace(session, &o)?;
        }
    }
    catalog_changed(session);
    Ok(Outcome::Command("ALTER OPERATOR".into()))
}

/// The operator COMMENT ON OPERATOR names (`name (left, right)` as text),
/// its ownership checked: its OID.
pub(crate) fn comment_target(session: &mut Session, text: &str) -> PgResult<u32> {
    let sql = format!("DROP OPERATOR {text}");
    let stmts = crate::syntax::parse(&sql)?;
    let Some(sqlparser::ast::Statement::DropOperator(d)) = stmts.first() else {
        return Err(PgError::syntax(
            format!("syntax error at or near \"{text}\""),
            None,
        ));
    };
    let [sig] = d.operators.as_slice() else {
        return Err(PgError::syntax("syntax error at or near \",\"", None));
    };
    let (schema, name) = split_operator_name(&sig.name)?;
    let (left, right) = signature_types(session, sig.left_type.as_ref(), &sig.right_type)?;
    let Some(o) = find(session, schema.as_deref(), &name, left, right)? else {
        return Err(missing(schema.as_deref(), &name, left, right));
    };
    require_owner(session, &o)?;
    Ok(o.oid)
}

/// The operators that call user function `function` (by `pg_depend`):
/// what DROP FUNCTION must refuse or cascade to, described, with the rows
/// to delete when it cascades.
pub(crate) fn dependents(
    session: &mut Session,
    function: u32,
) -> PgResult<Vec<(String, OperatorRow)>> {
    let deps = with_reader(session, |r| r.dependents(PG_PROC, function))?;
    let ops: Vec<u32> = deps
        .iter()
        .filter(|(_, d)| d.classid == PG_OPERATOR)
        .map(|(_, d)| d.objid)
        .collect();
    if ops.is_empty() {
        return Ok(Vec::new());
    }
    Ok(operators(session)?
        .into_iter()
        .filter(|o| ops.contains(&o.oid))
        .map(|o| (o.describe(), o))
        .collect())
}

/// Drops the operators [`dependents`] found (DROP FUNCTION ... CASCADE).
pub(crate) fn drop_dependents(
    session: &mut Session,
    ops: &[(String, OperatorRow)],
) -> PgResult<()> {
    let doomed: Vec<u32> = ops.iter().map(|(_, o)| o.oid).collect();
    for (_, o) in ops {
        delete_operator(session, o, &doomed)?;
    }
    Ok(())
}

/// `pg_operator_is_visible(oid)`: whether the search_path finds operator
/// `oid` by its name and types (None when there is no such operator).
pub(crate) fn is_visible(session: &mut Session, oid: u32) -> PgResult<Option<bool>> {
    let Some(o) = operators(session)?.into_iter().find(|o| o.oid == oid) else {
        return Ok(None);
    };
    Ok(find(session, None, &o.name, o.left, o.right)?.map(|f| f.oid == oid))
}

/// The OID of operator `[schema.]name(left, right)`, if there is one (an
/// operator class member that names a user operator).
pub(crate) fn find_operator(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
    left: u32,
    right: u32,
) -> PgResult<Option<u32>> {
    Ok(find(session, schema, name, left, right)?.map(|o| o.oid))
}

/// The operators of schema `namespace`, described as DROP SCHEMA lists
/// them.
pub(crate) fn in_namespace(session: &Session, namespace: u32) -> PgResult<Vec<String>> {
    Ok(operators(session)?
        .into_iter()
        .filter(|o| o.namespace == namespace)
        .map(|o| o.describe())
        .collect())
}

/// Drops the operators of schema `namespace` (DROP SCHEMA ... CASCADE).
pub(crate) fn drop_in_namespace(session: &mut Session, namespace: u32) -> PgResult<()> {
    let doomed: Vec<OperatorRow> = operators(session)?
        .into_iter()
        .filter(|o| o.namespace == namespace)
        .collect();
    let oids: Vec<u32> = doomed.iter().map(|o| o.oid).collect();
    for o in &doomed {
        delete_operator(session, o, &oids)?;
    }
    Ok(())
}
