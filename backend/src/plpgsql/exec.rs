//! The PL/pgSQL interpreter (PostgreSQL's `pl_exec.c`): runs a parsed
//! body over a frame of variables.
//!
//! Every SQL expression and statement of the body is planned with the
//! function's variables visible to the analyzer
//! ([`planner::VariableResolver`]): a name that is no column becomes a
//! parameter, whose value the frame supplies when the plan runs. After
//! each statement the command counter advances, so the next one sees its
//! changes, as PostgreSQL's SPI does for a volatile function.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlparser::ast::Statement;
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult, SqlState};

use super::parse::{Block, Expr, ForKind, RaiseArg, Stmt, StmtKind, Target};
use crate::session::Session;

/// A record variable's value: its fields' names, types and values.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub names: Vec<String>,
    pub types: Vec<u32>,
    pub values: Vec<Datum>,
    /// The NULL row of a known shape (a trigger's OLD on INSERT, NEW on
    /// DELETE): its fields read as NULL, and RETURN of it returns NULL.
    pub null: bool,
}

#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    pub value: Datum,
    pub constant: bool,
    pub not_null: bool,
    /// A `record` (or `%ROWTYPE`) variable: its row, None until assigned.
    pub record: Option<Option<Row>>,
}

impl Var {
    pub fn scalar(name: &str, type_oid: u32, value: Datum) -> Var {
        Var {
            name: name.to_owned(),
            type_oid,
            typmod: -1,
            value,
            constant: false,
            not_null: false,
            record: None,
        }
    }
}

struct Scope {
    label: Option<String>,
    names: Vec<(String, usize)>,
}

/// How a statement ended.
enum Flow {
    Normal,
    Exit(Option<String>),
    Continue(Option<String>),
    Return,
}

/// What a function returns: one value, or rows.
pub struct CallResult {
    pub value: Datum,
    pub rows: Vec<Vec<Datum>>,
}

/// The declared shape of the function being run.
pub struct Signature {
    /// `f(integer,text)`, for CONTEXT lines.
    pub display: String,
    pub name: String,
    pub ret_type: u32,
    pub retset: bool,
    /// OUT / TABLE columns (their variables are the frame's, by name).
    pub out_columns: Vec<(String, u32)>,
}

pub struct Frame<'f> {
    sig: &'f Signature,
    vars: Vec<Var>,
    scopes: Vec<Scope>,
    result: Datum,
    /// A trigger function's RETURN of a record variable: its row.
    pub result_row: Option<Row>,
    /// RETURN ran.
    returned: bool,
    /// The error on its way out of the function has its CONTEXT line.
    context_added: bool,
    /// Tables its statements may read in FROM (a trigger's transition
    /// tables).
    pub tables: Vec<planner::catalog::EphemeralTable>,
    rows: Vec<Vec<Datum>>,
    row_count: u64,
    /// The error a handler is running for (SQLSTATE, SQLERRM, GET
    /// STACKED DIAGNOSTICS).
    handling: Vec<PgError>,
    nargs: usize,
    /// Plans made during this call, by statement (see [`key`]).
    plans: HashMap<usize, CachedPlan>,
    /// Open cursors, by portal name.
    cursors: HashMap<String, Cursor>,
    /// The queries of bound cursor variables, by slot.
    bound: HashMap<usize, super::parse::CursorDecl>,
    /// A procedure called where transactions may end (see
    /// `Session::nonatomic_call`): its COMMIT and ROLLBACK end the
    /// transaction and start the next, and so may those it CALLs.
    pub nonatomic: bool,
}

/// An open cursor: its rows (all read when it was opened) and where it
/// stands (0 before the first row, `rows.len() + 1` after the last).
struct Cursor {
    columns: Vec<(String, u32)>,
    rows: Vec<Vec<Datum>>,
    pos: i64,
}

/// A statement's plan, the variables its parameters read, the catalog
/// version it was made at, and the types those variables had.
type CachedPlan = (
    std::sync::Arc<planner::PlannedStmt>,
    Vec<ParamRef>,
    (u64, u64),
    Vec<u32>,
);

/// A parameter of a planned statement: a variable, or a field of a record
/// variable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamRef {
    Var(usize),
    /// a field of a `record` / `%ROWTYPE` variable
    Field(usize, usize),
    /// a field of a variable of a composite type (its value a record)
    CompositeField(usize, usize),
}

/// The analyzer's view of a frame's variables while one statement is
/// planned: every name it resolves becomes a parameter.
struct Resolver<'a> {
    frame: &'a Frame<'a>,
    used: RefCell<Vec<ParamRef>>,
}

impl planner::VariableResolver for Resolver<'_> {
    fn resolve_variable(
        &self,
        qualifier: &[String],
        name: &str,
    ) -> PgResult<Option<(usize, u32, i32)>> {
        let Some((r, type_oid, typmod)) = self.frame.lookup(qualifier, name)? else {
            return Ok(None);
        };
        let mut used = self.used.borrow_mut();
        let index = match used.iter().position(|u| *u == r) {
            Some(i) => i,
            None => {
                used.push(r);
                used.len() - 1
            }
        };
        Ok(Some((index, type_oid, typmod)))
    }

    fn ephemeral_tables(&self) -> Vec<planner::catalog::EphemeralTable> {
        self.frame.tables.clone()
    }
}

impl<'f> Frame<'f> {
    pub fn new(sig: &'f Signature, args: Vec<Var>) -> Frame<'f> {
        let nargs = args.len();
        let mut frame = Frame {
            sig,
            vars: Vec::new(),
            scopes: vec![Scope {
                label: Some(sig.name.clone()),
                names: Vec::new(),
            }],
            result: Datum::Null,
            result_row: None,
            returned: false,
            context_added: false,
            tables: Vec::new(),
            cursors: HashMap::new(),
            bound: HashMap::new(),
            rows: Vec::new(),
            row_count: 0,
            handling: Vec::new(),
            nargs,
            plans: HashMap::new(),
            nonatomic: false,
        };
        for v in args {
            frame.declare(v);
        }
        frame.declare(Var::scalar("found", types::oid::BOOL, Datum::Bool(false)));
        frame
    }

    pub fn declare(&mut self, v: Var) -> usize {
        let slot = self.vars.len();
        if let Some(scope) = self.scopes.last_mut() {
            scope.names.push((v.name.clone(), slot));
        }
        self.vars.push(v);
        slot
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rev().find_map(|s| {
            s.names
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, i)| *i)
        })
    }

    fn find_in_label(&self, label: &str, name: &str) -> Option<usize> {
        self.scopes
            .iter()
            .rev()
            .filter(|s| s.label.as_deref() == Some(label))
            .find_map(|s| {
                s.names
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, i)| *i)
            })
    }

    /// `qualifier.name` as a variable or record field (an error for a
    /// field the record has not, or a record not assigned yet).
    fn lookup(&self, qualifier: &[String], name: &str) -> PgResult<Option<(ParamRef, u32, i32)>> {
        let field = |slot: usize, rec: &str| -> PgResult<Option<(ParamRef, u32, i32)>> {
            let Some(row) = self.vars[slot].record.as_ref() else {
                // a variable of a composite type: its fields by name
                let Some(fields) = types::datum::record::fields_of(self.vars[slot].type_oid) else {
                    return Ok(None);
                };
                return match fields.iter().position(|f| f.name == name) {
                    Some(i) => Ok(Some((
                        ParamRef::CompositeField(slot, i),
                        fields[i].type_oid,
                        fields[i].typmod,
                    ))),
                    None => Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!("record \"{rec}\" has no field \"{name}\""),
                    )),
                };
            };
            let Some(row) = row.as_ref() else {
                return Err(PgError::new(
                    SqlState::ObjectNotInPrerequisiteState,
                    format!("record \"{rec}\" is not assigned yet"),
                )
                .with_detail(
                    "The tuple structure of a not-yet-assigned record is indeterminate.",
                ));
            };
            match row.names.iter().position(|n| n == name) {
                Some(i) => Ok(Some((ParamRef::Field(slot, i), row.types[i], -1))),
                None => Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("record \"{rec}\" has no field \"{name}\""),
                )),
            }
        };
        match qualifier {
            [] => Ok(self.find(name).and_then(|slot| {
                let v = &self.vars[slot];
                v.record
                    .is_none()
                    .then_some((ParamRef::Var(slot), v.type_oid, v.typmod))
            })),
            [q] => {
                if let Some(slot) = self.find_in_label(q, name) {
                    let v = &self.vars[slot];
                    if v.record.is_none() {
                        return Ok(Some((ParamRef::Var(slot), v.type_oid, v.typmod)));
                    }
                }
                match self.find(q) {
                    Some(slot) => field(slot, q),
                    None => Ok(None),
                }
            }
            [label, rec] => match self.find_in_label(label, rec) {
                Some(slot) => field(slot, rec),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    fn param_value(&self, r: ParamRef) -> Datum {
        match r {
            ParamRef::Var(slot) => self.vars[slot].value.clone(),
            ParamRef::Field(slot, i) => self.vars[slot]
                .record
                .as_ref()
                .and_then(|r| r.as_ref())
                .and_then(|row| row.values.get(i).cloned())
                .unwrap_or(Datum::Null),
            ParamRef::CompositeField(slot, i) => match &self.vars[slot].value {
                Datum::Record(r) => r.values.get(i).cloned().unwrap_or(Datum::Null),
                _ => Datum::Null,
            },
        }
    }

    fn param_type(&self, r: ParamRef) -> u32 {
        match r {
            ParamRef::Var(slot) => self.vars.get(slot).map_or(0, |v| v.type_oid),
            ParamRef::Field(slot, i) => self
                .vars
                .get(slot)
                .and_then(|v| v.record.as_ref())
                .and_then(|r| r.as_ref())
                .and_then(|row| row.types.get(i).copied())
                .unwrap_or(0),
            ParamRef::CompositeField(slot, i) => self
                .vars
                .get(slot)
                .and_then(|v| types::datum::record::fields_of(v.type_oid))
                .and_then(|f| f.get(i).map(|f| f.type_oid))
                .unwrap_or(0),
        }
    }

    /// Enters a scope (a block, a loop, a handler).
    fn push_scope(&mut self, label: Option<String>) -> usize {
        self.scopes.push(Scope {
            label,
            names: Vec::new(),
        });
        self.vars.len()
    }

    /// Leaves the scope entered when the frame had `mark` variables: its
    /// variables go, so a scope entered again declares the same slots
    /// (which plans kept in the cache refer to).
    fn pop_scope(&mut self, mark: usize) {
        self.scopes.pop();
        self.vars.truncate(mark);
    }

    fn set_found(&mut self, found: bool) {
        if let Some(slot) = self
            .find_in_label(&self.sig.name.clone(), "found")
            .or(self.find("found"))
        {
            self.vars[slot].value = Datum::Bool(found);
        }
    }

    pub fn into_result(self) -> CallResult {
        CallResult {
            value: self.result,
            rows: self.rows,
        }
    }

    /// The values of the OUT variables, as the function's row.
    fn out_row(&self) -> Vec<Datum> {
        self.sig
            .out_columns
            .iter()
            .map(|(n, _)| {
                self.find_in_label(&self.sig.name, n)
                    .map_or(Datum::Null, |s| self.vars[s].value.clone())
            })
            .collect()
    }
}

/// The result of one SQL statement run from the body.
struct SqlResult {
    columns: Vec<(String, u32)>,
    rows: Vec<Vec<Datum>>,
    processed: u64,
}

fn opts(session: &Session) -> OutputOptions {
    executor::ExecContext::output_options(session)
}

fn context(sig: &Signature, stmt: &Stmt) -> String {
    format!(
        "PL/pgSQL function {} line {} at {}",
        sig.display,
        stmt.line,
        stmt.describe()
    )
}

/// Adds a CONTEXT line (the innermost first, as PostgreSQL prints them).
pub fn add_context(mut e: PgError, line: String) -> PgError {
    e.context = Some(
        match e.context.take() {
            Some(c) => format!("{c}\n{line}"),
            None => line,
        }
        .into_boxed_str(),
    );
    e
}

pub fn run_block_top(session: &mut Session, frame: &mut Frame<'_>, block: &Block) -> PgResult<()> {
    match exec_block(session, frame, block)? {
        Flow::Return | Flow::Normal => {}
        Flow::Exit(_) | Flow::Continue(_) => {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "CONTINUE cannot be used outside a loop",
            ));
        }
    }
    Ok(())
}

/// Whether the function ended without RETURN (an error for one that
/// returns a value).
pub fn fell_off_end(frame: &Frame<'_>) -> bool {
    !frame.returned
}

pub fn finish(frame: &mut Frame<'_>, returned: bool) -> PgResult<()> {
    let sig = frame.sig;
    if sig.retset {
        return Ok(());
    }
    if !sig.out_columns.is_empty() {
        let row = frame.out_row();
        frame.rows = vec![row.clone()];
        if row.len() == 1 {
            frame.result = row.into_iter().next().unwrap_or(Datum::Null);
        }
        return Ok(());
    }
    if sig.ret_type == types::oid::VOID {
        frame.result = Datum::Void;
    }
    if !returned && sig.ret_type != types::oid::VOID {
        let what = match sig.ret_type {
            TRIGGER => "trigger procedure",
            _ => "function",
        };
        return Err(PgError::new(
            SqlState::FunctionExecutedNoReturnStatement,
            format!("control reached end of {what} without RETURN"),
        )
        .with_context(format!("PL/pgSQL function {}", sig.display)));
    }
    Ok(())
}

pub const TRIGGER: u32 = 2279;

fn exec_block(session: &mut Session, frame: &mut Frame<'_>, block: &Block) -> PgResult<Flow> {
    let mark = frame.push_scope(block.label.clone());
    let r = exec_block_inner(session, frame, block);
    frame.pop_scope(mark);
    r
}

fn exec_block_inner(session: &mut Session, frame: &mut Frame<'_>, block: &Block) -> PgResult<Flow> {
    for d in &block.decls {
        if let Some(target) = &d.alias_for {
            let slot = match target.strip_prefix('$') {
                Some(n) => n
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n >= 1 && n <= frame.nargs)
                    .map(|n| n - 1),
                None => frame.find(target),
            }
            .ok_or_else(|| {
                PgError::new(
                    SqlState::UndefinedObject,
                    format!("variable \"{target}\" does not exist"),
                )
            })?;
            if let Some(scope) = frame.scopes.last_mut() {
                scope.names.push((d.name.clone(), slot));
            }
            continue;
        }
        if let Some(c) = &d.cursor {
            // A bound cursor: its portal is named after the variable.
            let slot = frame.declare(Var::scalar(
                &d.name,
                types::oid::TEXT,
                Datum::Text(d.name.clone()),
            ));
            frame.bound.insert(slot, c.clone());
            continue;
        }
        let (type_oid, typmod, record) = resolve_decl_type(session, frame, &d.type_text)?;
        let mut v = Var {
            name: d.name.clone(),
            type_oid,
            typmod,
            value: Datum::Null,
            constant: d.constant,
            not_null: d.not_null,
            record,
        };
        if let Some(e) = &d.default {
            let (value, t) = eval_expr(session, frame, e).map_err(|err| {
                add_context(
                    err,
                    format!(
                        "PL/pgSQL function {} line {} during statement block local variable initialization",
                        frame.sig.display, d.line
                    ),
                )
            })?;
            v.value = coerce(session, value, t, type_oid, typmod)?;
        }
        if d.not_null && v.value.is_null() {
            return Err(PgError::new(
                SqlState::NullValueNotAllowed,
                format!(
                    "null value cannot be assigned to variable \"{}\" declared NOT NULL",
                    d.name
                ),
            ));
        }
        frame.declare(v);
    }
    if block.handlers.is_empty() {
        return exec_stmts(session, frame, &block.body);
    }
    // A block with handlers runs as a subtransaction.
    let name = format!("\u{1}plpgsql {}", session.tx.savepoints.len());
    crate::xact::savepoint(session, &name);
    match exec_stmts(session, frame, &block.body) {
        Ok(flow) => {
            crate::xact::release_savepoint(session, &name)?;
            Ok(flow)
        }
        Err(e) => {
            let handler = block
                .handlers
                .iter()
                .find(|h| h.conditions.iter().any(|c| condition_matches(c, &e)));
            crate::xact::rollback_subtransaction(session, &name)?;
            crate::xact::release_savepoint(session, &name)?;
            let Some(h) = handler else {
                return Err(e);
            };
            // Caught: a later error names its own statement.
            frame.context_added = false;
            let mark = frame.push_scope(None);
            frame.declare(Var::scalar(
                "sqlstate",
                types::oid::TEXT,
                Datum::Text(e.code.code().to_string()),
            ));
            frame.declare(Var::scalar(
                "sqlerrm",
                types::oid::TEXT,
                Datum::Text(e.message.clone()),
            ));
            frame.handling.push(e);
            let r = exec_stmts(session, frame, &h.body);
            frame.handling.pop();
            frame.pop_scope(mark);
            r
        }
    }
}

/// Whether handler condition `c` catches `e`: its name (a class name
/// catches its whole class), `sqlstate:xxxxx`, or OTHERS (everything but
/// a cancel and an assertion failure, as PostgreSQL).
fn condition_matches(c: &str, e: &PgError) -> bool {
    if e.severity != types::error::Severity::Error {
        return false;
    }
    let code = e.code.code();
    if c == "others" {
        return !matches!(e.code, SqlState::QueryCanceled | SqlState::AssertFailure);
    }
    let want = match c.strip_prefix("sqlstate:") {
        Some(s) => s.to_string(),
        None => match SqlState::from_name(c) {
            Some(s) => s.code().to_string(),
            None => return false,
        },
    };
    if want.ends_with("000") {
        code.starts_with(&want[..2])
    } else {
        code == want
    }
}

fn exec_stmts(session: &mut Session, frame: &mut Frame<'_>, stmts: &[Stmt]) -> PgResult<Flow> {
    for s in stmts {
        executor::ExecContext::check_for_interrupts(session)?;
        let flow = exec_stmt(session, frame, s).map_err(|e| {
            // The innermost statement of each function names itself; the
            // statements around it in the same function add no line.
            if frame.context_added {
                e
            } else {
                frame.context_added = true;
                add_context(e, context(frame.sig, s))
            }
        })?;
        if !matches!(flow, Flow::Normal) {
            return Ok(flow);
        }
    }
    Ok(Flow::Normal)
}

fn exec_stmt(session: &mut Session, frame: &mut Frame<'_>, stmt: &Stmt) -> PgResult<Flow> {
    match &stmt.kind {
        StmtKind::Block(b) => exec_block(session, frame, b),
        StmtKind::Null => Ok(Flow::Normal),
        StmtKind::Assign(target, e) => {
            let (v, t) = eval_expr(session, frame, e)?;
            assign(session, frame, target, v, t)?;
            Ok(Flow::Normal)
        }
        StmtKind::If {
            branches,
            otherwise,
        } => {
            for (cond, body) in branches {
                if eval_bool(session, frame, cond)? {
                    return exec_stmts(session, frame, body);
                }
            }
            match otherwise {
                Some(body) => exec_stmts(session, frame, body),
                None => Ok(Flow::Normal),
            }
        }
        StmtKind::Case {
            subject,
            whens,
            otherwise,
        } => {
            let subject = match subject {
                Some(e) => Some(eval_expr(session, frame, e)?),
                None => None,
            };
            for (e, body) in whens {
                let hit = match &subject {
                    None => eval_bool(session, frame, e)?,
                    Some((v, t)) => {
                        // `subject IN (list)`, with the subject as a value.
                        let slot = frame.declare(Var::scalar("\u{1}case", *t, v.clone()));
                        let q = Expr {
                            text: format!("\"\u{1}case\" IN ({})", e.text),
                            line: e.line,
                        };
                        // Its plan is kept under the WHEN's own place, made
                        // odd (expressions are aligned: no other key is).
                        let r =
                            eval_expr_keyed(session, frame, &q, key(e) | 1).and_then(|(v, t)| {
                                Ok(coerce(session, v, t, types::oid::BOOL, -1)?
                                    == Datum::Bool(true))
                            });
                        frame.vars.truncate(slot);
                        if let Some(s) = frame.scopes.last_mut() {
                            s.names.retain(|(_, i)| *i < slot);
                        }
                        r?
                    }
                };
                if hit {
                    return exec_stmts(session, frame, body);
                }
            }
            match otherwise {
                Some(body) => exec_stmts(session, frame, body),
                None => Err(PgError::new(SqlState::CaseNotFound, "case not found")
                    .with_hint("CASE statement is missing ELSE part.")),
            }
        }
        StmtKind::Loop { label, body } => loop {
            match exec_stmts(session, frame, body)? {
                Flow::Normal => {}
                flow => match loop_control(flow, label) {
                    Some(f) => return Ok(f),
                    None => continue,
                },
            }
        },
        StmtKind::While { label, cond, body } => {
            while eval_bool(session, frame, cond)? {
                match exec_stmts(session, frame, body)? {
                    Flow::Normal => {}
                    flow => {
                        if let Some(f) = loop_control(flow, label) {
                            return Ok(f);
                        }
                    }
                }
            }
            Ok(Flow::Normal)
        }
        StmtKind::For { label, kind, body } => exec_for(session, frame, label, kind, body),
        StmtKind::Exit {
            is_continue,
            label,
            when,
        } => {
            if let Some(w) = when
                && !eval_bool(session, frame, w)?
            {
                return Ok(Flow::Normal);
            }
            Ok(match is_continue {
                true => Flow::Continue(label.clone()),
                false => Flow::Exit(label.clone()),
            })
        }
        StmtKind::Return(e) => {
            let sig = frame.sig;
            if sig.retset {
                if e.is_some() {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        "RETURN cannot have a parameter in function returning set",
                    )
                    .with_hint("Use RETURN NEXT or RETURN QUERY."));
                }
                frame.returned = true;
                return Ok(Flow::Return);
            }
            frame.returned = true;
            if sig.ret_type == TRIGGER
                && let Some(e) = e
            {
                // RETURN NEW / OLD / another record variable: its row.
                let name = e.text.trim().to_lowercase();
                if let Some(slot) = frame.find(&name)
                    && let Some(rec) = &frame.vars[slot].record
                {
                    frame.result_row = rec.clone().filter(|r| !r.null);
                    return Ok(Flow::Return);
                }
            }
            match e {
                Some(e) => {
                    let (v, t) = eval_expr(session, frame, e)?;
                    frame.result = if sig.ret_type == types::oid::VOID || sig.ret_type == TRIGGER {
                        v
                    } else {
                        coerce(session, v, t, sig.ret_type, -1)?
                    };
                    frame.row_count = 1;
                }
                None => frame.row_count = 1,
            }
            Ok(Flow::Return)
        }
        StmtKind::ReturnNext(e) => {
            let sig = frame.sig;
            if !sig.retset {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "cannot use RETURN NEXT in a non-SETOF function",
                ));
            }
            let row = match e {
                None => frame.out_row(),
                Some(e) => {
                    // A record variable returns its fields.
                    let name = e.text.trim().to_lowercase();
                    if let Some(slot) = frame.find(&name)
                        && let Some(rec) = &frame.vars[slot].record
                    {
                        rec.as_ref().map(|r| r.values.clone()).unwrap_or_default()
                    } else {
                        let (v, t) = eval_expr(session, frame, e)?;
                        let want = sig.out_columns.first().map_or(sig.ret_type, |c| c.1);
                        vec![coerce(session, v, t, want, -1)?]
                    }
                }
            };
            frame.rows.push(row);
            Ok(Flow::Normal)
        }
        StmtKind::ReturnQuery {
            query,
            dynamic,
            using,
        } => {
            let r = run_query(session, frame, query, *dynamic, using)?;
            let want: Vec<u32> = match frame.sig.out_columns.is_empty() {
                true => vec![frame.sig.ret_type],
                false => frame.sig.out_columns.iter().map(|c| c.1).collect(),
            };
            if r.columns.len() != want.len() && frame.sig.ret_type != types::oid::RECORD {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    "structure of query does not match function result type",
                )
                .with_detail(format!(
                    "Number of returned columns ({}) does not match expected column count ({}).",
                    r.columns.len(),
                    want.len()
                )));
            }
            frame.row_count = r.rows.len() as u64;
            frame.set_found(!r.rows.is_empty());
            frame.rows.extend(r.rows);
            Ok(Flow::Normal)
        }
        StmtKind::Raise {
            level,
            arg,
            options,
        } => exec_raise(session, frame, level, arg, options).map(|()| Flow::Normal),
        StmtKind::Assert { cond, message } => {
            let enabled = session
                .settings
                .show("plpgsql.check_asserts")
                .map_or(true, |v| v != "off");
            if !enabled || eval_bool_nullable(session, frame, cond)? == Some(true) {
                return Ok(Flow::Normal);
            }
            let msg = match message {
                Some(m) => {
                    let (v, _) = eval_expr(session, frame, m)?;
                    match v {
                        Datum::Null => "assertion failed".to_string(),
                        v => v.to_text(&opts(session)),
                    }
                }
                None => "assertion failed".to_string(),
            };
            Err(PgError::new(SqlState::AssertFailure, msg))
        }
        StmtKind::Perform(e) => {
            let r = run_sql(session, frame, &format!("SELECT {}", e.text), key(e))?;
            frame.row_count = r.rows.len() as u64;
            frame.set_found(!r.rows.is_empty());
            Ok(Flow::Normal)
        }
        StmtKind::Sql { sql, into, strict } => {
            let r = run_sql(session, frame, &sql.text, key(sql))?;
            frame.row_count = r.processed;
            if into.is_empty() {
                frame.set_found(r.processed > 0);
                return Ok(Flow::Normal);
            }
            store_into(session, frame, into, *strict, r)?;
            Ok(Flow::Normal)
        }
        StmtKind::Execute {
            query,
            into,
            strict,
            using,
        } => {
            let r = run_dynamic(session, frame, query, using)?;
            frame.row_count = r.processed;
            if !into.is_empty() {
                store_into(session, frame, into, *strict, r)?;
            }
            Ok(Flow::Normal)
        }
        StmtKind::Open {
            cursor,
            query,
            dynamic,
            using,
            args,
        } => {
            let opening = match (query, dynamic) {
                (Some(q), true) => Opening::Dynamic(q, using),
                (Some(q), false) => Opening::Query(q),
                (None, _) => Opening::Bound {
                    args,
                    temporary: false,
                },
            };
            open_cursor(session, frame, cursor, opening)?;
            Ok(Flow::Normal)
        }
        StmtKind::Fetch {
            cursor,
            direction,
            into,
            is_move,
        } => {
            let portal = portal_name(frame, cursor)?;
            let delta = match direction {
                super::parse::Direction::Absolute(e) | super::parse::Direction::Relative(e) => {
                    let (v, t) = eval_expr(session, frame, e)?;
                    match coerce(session, v, t, types::oid::INT8, -1)? {
                        Datum::Int8(n) => n,
                        _ => 0,
                    }
                }
                _ => 0,
            };
            let c = frame
                .cursors
                .get_mut(&portal)
                .ok_or_else(|| no_cursor(&portal))?;
            let n = c.rows.len() as i64;
            c.pos = match direction {
                super::parse::Direction::Next => c.pos + 1,
                super::parse::Direction::Prior => c.pos - 1,
                super::parse::Direction::First => 1,
                super::parse::Direction::Last => n,
                super::parse::Direction::Absolute(_) if delta < 0 => n + 1 + delta,
                super::parse::Direction::Absolute(_) => delta,
                super::parse::Direction::Relative(_) => c.pos + delta,
            }
            .clamp(0, n + 1);
            let row = (c.pos >= 1 && c.pos <= n).then(|| c.rows[(c.pos - 1) as usize].clone());
            let columns = c.columns.clone();
            frame.set_found(row.is_some());
            frame.row_count = u64::from(row.is_some());
            if !*is_move {
                let row = row.unwrap_or_else(|| vec![Datum::Null; columns.len()]);
                assign_row(session, frame, into, &columns, row)?;
            }
            Ok(Flow::Normal)
        }
        StmtKind::Close(cursor) => {
            let portal = portal_name(frame, cursor)?;
            frame
                .cursors
                .remove(&portal)
                .map(|_| Flow::Normal)
                .ok_or_else(|| no_cursor(&portal))
        }
        StmtKind::GetDiagnostics { stacked, items } => {
            for (target, item) in items {
                let (v, t) = match (stacked, item.as_str()) {
                    (false, "row_count") => (Datum::Int8(frame.row_count as i64), types::oid::INT8),
                    (true, item) => (stacked_item(frame.handling.last(), item)?, types::oid::TEXT),
                    (false, other) => {
                        return Err(PgError::feature_not_supported(format!(
                            "GET DIAGNOSTICS item {}",
                            other.to_uppercase()
                        )));
                    }
                };
                assign(session, frame, target, v, t)?;
            }
            Ok(Flow::Normal)
        }
    }
}

/// An item of GET STACKED DIAGNOSTICS about the error being handled
/// (NULL outside a handler; the optional fields empty when absent).
fn stacked_item(e: Option<&PgError>, item: &str) -> PgResult<Datum> {
    let Some(e) = e else {
        return Ok(Datum::Null);
    };
    let optional = |f: &Option<String>| Datum::Text(f.clone().unwrap_or_default());
    Ok(match item {
        "returned_sqlstate" => Datum::Text(e.code.code().to_string()),
        "message_text" => Datum::Text(e.message.clone()),
        "pg_exception_detail" => optional(&e.detail),
        "pg_exception_hint" => optional(&e.hint),
        "pg_exception_context" => Datum::Text(e.context.as_deref().unwrap_or_default().to_owned()),
        other => {
            return Err(PgError::feature_not_supported(format!(
                "GET DIAGNOSTICS item {}",
                other.to_uppercase()
            )));
        }
    })
}

/// The body of a FOR loop over rows, once per row assigned to the
/// targets; FOUND tells whether there was a row.
fn loop_over_rows(
    session: &mut Session,
    frame: &mut Frame<'_>,
    targets: &[Target],
    columns: &[(String, u32)],
    rows: Vec<Vec<Datum>>,
    body: &[Stmt],
    label: &Option<String>,
) -> PgResult<Flow> {
    let found = !rows.is_empty();
    let mut result = Flow::Normal;
    for row in rows {
        assign_row(session, frame, targets, columns, row)?;
        match exec_stmts(session, frame, body)? {
            Flow::Normal => {}
            flow => {
                if let Some(f) = loop_control(flow, label) {
                    result = f;
                    break;
                }
            }
        }
    }
    frame.set_found(found);
    Ok(result)
}

/// `c` or `c(args)` naming a bound cursor variable (a FOR loop over it):
/// its name and argument texts.
fn bound_cursor_call(frame: &Frame<'_>, text: &str) -> Option<(String, Vec<String>)> {
    let text = text.trim();
    let (name, rest) = match text.find('(') {
        Some(i) => (text[..i].trim(), Some(&text[i..])),
        None => (text, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let name = name.to_lowercase();
    let slot = frame.find(&name)?;
    frame.bound.get(&slot)?;
    let mut args = Vec::new();
    if let Some(rest) = rest {
        let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
        let (mut depth, mut start, mut quoted) = (0, 0, false);
        for (i, c) in inner.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => depth -= 1,
                ',' if !quoted && depth == 0 => {
                    args.push(inner[start..i].trim().to_string());
                    start = i + 1;
                }
                _ => {}
            }
        }
        if !inner.trim().is_empty() {
            args.push(inner[start..].trim().to_string());
        }
    }
    Some((name, args))
}

fn no_cursor(name: &str) -> PgError {
    PgError::new(
        SqlState::InvalidCursorName,
        format!("cursor \"{name}\" does not exist"),
    )
}

/// The portal a cursor variable names.
fn portal_name(frame: &Frame<'_>, cursor: &str) -> PgResult<String> {
    let slot = frame.find(cursor).ok_or_else(|| no_cursor(cursor))?;
    match &frame.vars[slot].value {
        Datum::Text(n) => Ok(n.clone()),
        _ => Err(PgError::new(
            SqlState::NullValueNotAllowed,
            "cursor variable \"".to_string() + cursor + "\" is null",
        )),
    }
}

/// OPEN: runs the cursor's query (a bound cursor's with its arguments,
/// or the one given) and keeps its rows under the portal name.
/// What OPEN runs: a query, a dynamic one, or the bound cursor's with
/// these arguments (`temporary`: made up while running, so their plans are
/// not kept).
enum Opening<'a> {
    Query(&'a Expr),
    Dynamic(&'a Expr, &'a [Expr]),
    Bound {
        args: &'a [(Option<String>, Expr)],
        temporary: bool,
    },
}

fn open_cursor(
    session: &mut Session,
    frame: &mut Frame<'_>,
    cursor: &str,
    opening: Opening<'_>,
) -> PgResult<()> {
    let slot = frame.find(cursor).ok_or_else(|| no_cursor(cursor))?;
    let portal = match &frame.vars[slot].value {
        Datum::Text(n) => n.clone(),
        _ => {
            let n = format!("<unnamed portal {}>", frame.cursors.len() + 1);
            frame.vars[slot].value = Datum::Text(n.clone());
            n
        }
    };
    if frame.cursors.contains_key(&portal) {
        return Err(PgError::new(
            SqlState::DuplicateCursor,
            format!("cursor \"{portal}\" already in use"),
        ));
    }
    let r = match (opening, frame.bound.get(&slot).cloned()) {
        (Opening::Dynamic(q, using), _) => run_dynamic(session, frame, q, using)?,
        (Opening::Query(q), _) => run_sql(session, frame, &q.text, key(q))?,
        (Opening::Bound { args, temporary }, Some(decl)) => {
            if args.len() != decl.params.len() {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    match args.len() < decl.params.len() {
                        true => format!("not enough arguments for cursor \"{cursor}\""),
                        false => format!("too many arguments for cursor \"{cursor}\""),
                    },
                ));
            }
            // The arguments, evaluated here, become the query's variables.
            let mut values = Vec::with_capacity(args.len());
            for (i, (name, e)) in args.iter().enumerate() {
                let k = match name {
                    Some(n) => decl.params.iter().position(|p| &p.0 == n).unwrap_or(i),
                    None => i,
                };
                let cache_key = if temporary { NO_CACHE } else { key(e) };
                let (v, t) = eval_expr_keyed(session, frame, e, cache_key)?;
                values.push((k, v, t));
            }
            values.sort_by_key(|v| v.0);
            let mark = frame.push_scope(None);
            let mut result = Ok(());
            for ((pname, ptype), (_, v, t)) in decl.params.iter().zip(values) {
                result = result.and_then(|()| {
                    let (to, typmod) = parse_type(session, ptype)?;
                    let v = coerce(session, v, t, to, typmod)?;
                    frame.declare(Var::scalar(pname, to, v));
                    Ok(())
                });
            }
            // Keyed by the cursor's slot (the declaration is a copy here).
            let r =
                result.and_then(|()| run_sql(session, frame, &decl.query.text, usize::MAX - slot));
            frame.pop_scope(mark);
            r?
        }
        (Opening::Bound { .. }, None) => {
            return Err(PgError::new(
                SqlState::SyntaxError,
                format!("cursor \"{cursor}\" has no query"),
            ));
        }
    };
    frame.cursors.insert(
        portal,
        Cursor {
            columns: r.columns,
            rows: r.rows,
            pos: 0,
        },
    );
    Ok(())
}

/// What a loop does with EXIT/CONTINUE/RETURN from its body: Some(flow)
/// leaves the loop with that flow, None goes round again.
fn loop_control(flow: Flow, label: &Option<String>) -> Option<Flow> {
    match flow {
        Flow::Exit(None) => Some(Flow::Normal),
        Flow::Exit(Some(l)) if Some(&l) == label.as_ref() => Some(Flow::Normal),
        Flow::Continue(None) => None,
        Flow::Continue(Some(l)) if Some(&l) == label.as_ref() => None,
        other => Some(other),
    }
}

fn exec_for(
    session: &mut Session,
    frame: &mut Frame<'_>,
    label: &Option<String>,
    kind: &ForKind,
    body: &[Stmt],
) -> PgResult<Flow> {
    let mark = frame.push_scope(label.clone());
    let r = exec_for_inner(session, frame, label, kind, body);
    frame.pop_scope(mark);
    r
}

fn exec_for_inner(
    session: &mut Session,
    frame: &mut Frame<'_>,
    label: &Option<String>,
    kind: &ForKind,
    body: &[Stmt],
) -> PgResult<Flow> {
    match kind {
        ForKind::Integer {
            var,
            reverse,
            low,
            high,
            step,
        } => {
            let int = |session: &mut Session, frame: &mut Frame<'_>, e: &Expr, what: &str| {
                let (v, t) = eval_expr(session, frame, e)?;
                match coerce(session, v, t, types::oid::INT4, -1)? {
                    Datum::Int4(i) => Ok(i as i64),
                    _ => Err(PgError::new(
                        SqlState::NullValueNotAllowed,
                        format!("{what} of FOR loop cannot be null"),
                    )),
                }
            };
            let lo = int(session, frame, low, "lower bound")?;
            let hi = int(session, frame, high, "upper bound")?;
            let by = match step {
                Some(s) => int(session, frame, s, "BY value")?,
                None => 1,
            };
            if by <= 0 {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "BY value of FOR loop must be greater than zero",
                ));
            }
            let slot = frame.declare(Var::scalar(var, types::oid::INT4, Datum::Null));
            let mut i = lo;
            let mut ran = false;
            let mut result = Flow::Normal;
            while if *reverse { i >= hi } else { i <= hi } {
                ran = true;
                frame.vars[slot].value = Datum::Int4(i as i32);
                match exec_stmts(session, frame, body)? {
                    Flow::Normal => {}
                    flow => {
                        if let Some(f) = loop_control(flow, label) {
                            result = f;
                            break;
                        }
                    }
                }
                i = if *reverse { i - by } else { i + by };
            }
            frame.set_found(ran);
            Ok(result)
        }
        ForKind::Query {
            targets,
            query,
            dynamic: false,
            ..
        } if bound_cursor_call(frame, &query.text).is_some() => {
            let (name, args) = bound_cursor_call(frame, &query.text).unwrap_or_default();
            let args: Vec<(Option<String>, Expr)> = args
                .into_iter()
                .map(|a| {
                    (
                        None,
                        Expr {
                            text: a,
                            line: query.line,
                        },
                    )
                })
                .collect();
            let opening = Opening::Bound {
                args: &args,
                temporary: true,
            };
            open_cursor(session, frame, &name, opening)?;
            let portal = portal_name(frame, &name)?;
            let c = frame
                .cursors
                .remove(&portal)
                .ok_or_else(|| no_cursor(&portal))?;
            loop_over_rows(session, frame, targets, &c.columns, c.rows, body, label)
        }
        ForKind::Query {
            targets,
            query,
            dynamic,
            using,
        } => {
            let r = run_query(session, frame, query, *dynamic, using)?;
            loop_over_rows(session, frame, targets, &r.columns, r.rows, body, label)
        }
        ForKind::Array {
            target,
            slice,
            array,
        } => {
            if *slice > 0 {
                return Err(PgError::feature_not_supported("FOREACH ... SLICE"));
            }
            let (v, _) = eval_expr(session, frame, array)?;
            let elems = match v {
                Datum::Array(a) => {
                    let t = a.elem_type;
                    a.elems.into_iter().map(|e| (e, t)).collect::<Vec<_>>()
                }
                Datum::Null => {
                    return Err(PgError::new(
                        SqlState::NullValueNotAllowed,
                        "FOREACH expression must not be null",
                    ));
                }
                _ => {
                    return Err(PgError::new(
                        SqlState::DatatypeMismatch,
                        "FOREACH expression must yield an array, not type",
                    ));
                }
            };
            let mut result = Flow::Normal;
            for (e, t) in elems {
                assign(session, frame, target, e, t)?;
                match exec_stmts(session, frame, body)? {
                    Flow::Normal => {}
                    flow => {
                        if let Some(f) = loop_control(flow, label) {
                            result = f;
                            break;
                        }
                    }
                }
            }
            Ok(result)
        }
    }
}

fn exec_raise(
    session: &mut Session,
    frame: &mut Frame<'_>,
    level: &str,
    arg: &RaiseArg,
    options: &[(String, Expr)],
) -> PgResult<()> {
    let o = opts(session);
    let mut code = if level == "exception" {
        SqlState::RaiseException
    } else {
        SqlState::SuccessfulCompletion
    };
    let mut message = None;
    match arg {
        RaiseArg::None if options.is_empty() && level == "exception" => {
            // RAISE; re-throws the error being handled.
            return match frame.handling.last() {
                Some(e) => Err(e.clone()),
                None => Err(PgError::new(
                    SqlState::StackedDiagnosticsAccessedWithoutActiveHandler,
                    "RAISE without parameters cannot be used outside an exception handler",
                )),
            };
        }
        RaiseArg::None => {}
        RaiseArg::Condition(c) => {
            code = condition_code(c)?;
            message = Some(match c.strip_prefix("sqlstate:") {
                Some(s) => s.to_string(),
                None => c.clone(),
            });
        }
        RaiseArg::Format(fmt, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                let (v, _) = eval_expr(session, frame, a)?;
                values.push(match v {
                    Datum::Null => "<NULL>".to_string(),
                    v => v.to_text(&o),
                });
            }
            let mut out = String::new();
            let mut it = values.into_iter();
            let mut chars = fmt.chars().peekable();
            let mut wanted = 0;
            let given = args.len();
            while let Some(c) = chars.next() {
                if c == '%' {
                    if chars.peek() == Some(&'%') {
                        chars.next();
                        out.push('%');
                        continue;
                    }
                    wanted += 1;
                    match it.next() {
                        Some(v) => out.push_str(&v),
                        None => {
                            return Err(PgError::new(
                                SqlState::SyntaxError,
                                "too few parameters specified for RAISE",
                            ));
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            if given > wanted {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "too many parameters specified for RAISE",
                ));
            }
            message = Some(out);
        }
    }
    let mut detail = None;
    let mut hint = None;
    for (name, e) in options {
        let (v, _) = eval_expr(session, frame, e)?;
        let text = match v {
            Datum::Null => {
                return Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    "RAISE statement option cannot be null",
                ));
            }
            v => v.to_text(&o),
        };
        match name.as_str() {
            "message" => {
                if message.is_some() && !matches!(arg, RaiseArg::Condition(_)) {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        "RAISE option already specified: MESSAGE",
                    ));
                }
                message = Some(text)
            }
            "detail" => detail = Some(text),
            "hint" => hint = Some(text),
            "errcode" => code = condition_code(&text)?,
            "column" | "constraint" | "datatype" | "table" | "schema" => {}
            other => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!("unrecognized RAISE statement option \"{other}\""),
                ));
            }
        }
    }
    let message = message.unwrap_or_else(|| match arg {
        RaiseArg::None if level == "exception" => code.name().to_string(),
        _ => String::new(),
    });
    if level == "exception" {
        let mut e = PgError::new(code, message);
        e.detail = detail;
        e.hint = hint;
        return Err(e);
    }
    let severity = match level {
        "warning" => "WARNING",
        "info" => "INFO",
        "log" => "LOG",
        "debug" => "DEBUG",
        _ => "NOTICE",
    };
    let rank = |s: &str| match s {
        "debug5" | "debug4" | "debug3" | "debug2" | "debug1" | "debug" => 0,
        "log" => 1,
        "notice" => 2,
        "warning" => 3,
        "error" => 4,
        _ => 2,
    };
    let min = session
        .settings
        .show("client_min_messages")
        .unwrap_or_else(|_| "notice".into());
    let shown = severity == "INFO" || rank(&severity.to_lowercase()) >= rank(&min);
    if shown {
        let code = if code == SqlState::SuccessfulCompletion && severity == "WARNING" {
            "01000"
        } else if code == SqlState::SuccessfulCompletion {
            "00000"
        } else {
            code.code()
        };
        session.notices.push((severity, code, message, detail));
    }
    Ok(())
}

/// A condition name or 5-character SQLSTATE as a condition.
fn condition_code(c: &str) -> PgResult<SqlState> {
    if let Some(s) = c.strip_prefix("sqlstate:") {
        return state_code(s);
    }
    if c.len() == 5
        && c.chars()
            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
    {
        return state_code(c);
    }
    SqlState::from_name(c).ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedObject,
            format!("unrecognized exception condition \"{c}\""),
        )
    })
}

fn state_code(s: &str) -> PgResult<SqlState> {
    if s.len() != 5
        || !s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Err(PgError::new(SqlState::SyntaxError, "invalid SQLSTATE code"));
    }
    Ok(SqlState::from_code(s).unwrap_or(SqlState::RaiseException))
}

/// The type of a DECLARE: a type name, `x%TYPE`, `t%ROWTYPE` or `record`.
fn resolve_decl_type(
    session: &mut Session,
    frame: &Frame<'_>,
    text: &str,
) -> PgResult<(u32, i32, Option<Option<Row>>)> {
    let t = text.trim();
    let lower = t.to_lowercase();
    if lower == "record" {
        return Ok((types::oid::RECORD, -1, Some(None)));
    }
    if lower == "refcursor" {
        // A cursor variable holds its portal's name.
        return Ok((types::oid::TEXT, -1, None));
    }
    if let Some(base) = lower.strip_suffix("%rowtype") {
        let base = base.trim();
        let (schema, name) = match base.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, base),
        };
        let desc = relation(session, schema, name)?;
        let mut row = Row::default();
        for c in desc.columns.iter().filter(|c| !c.dropped) {
            row.names.push(c.name.clone());
            row.types.push(c.type_oid);
            row.values.push(Datum::Null);
        }
        return Ok((types::oid::RECORD, -1, Some(Some(row))));
    }
    if let Some(base) = lower.strip_suffix("%type") {
        let parts: Vec<&str> = base.trim().split('.').collect();
        if let [v] = parts.as_slice()
            && let Some(slot) = frame.find(v)
        {
            let var = &frame.vars[slot];
            return Ok((var.type_oid, var.typmod, None));
        }
        let (schema, table, column) = match parts.as_slice() {
            [t, c] => (None, *t, *c),
            [s, t, c] => (Some(*s), *t, *c),
            _ => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "syntax error at or near \"%TYPE\"",
                ));
            }
        };
        if let [rec, field] = parts.as_slice()
            && let Some(slot) = frame.find(rec)
            && let Some(Some(row)) = &frame.vars[slot].record
            && let Some(i) = row.names.iter().position(|n| n == field)
        {
            return Ok((row.types[i], -1, None));
        }
        let desc = relation(session, schema, table)?;
        let c = desc
            .columns
            .iter()
            .find(|c| !c.dropped && c.name == column)
            .ok_or_else(|| {
                PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{column}\" of relation \"{table}\" does not exist"),
                )
            })?;
        return Ok((c.type_oid, c.typmod, None));
    }
    let (oid, typmod) = parse_type(session, t)?;
    Ok((oid, typmod, None))
}

fn relation(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<std::sync::Arc<planner::RelationDesc>> {
    use planner::CatalogView;
    crate::table_access::SessionCatalog::new(session)
        .lookup_relation(schema, name)?
        .ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{name}\" does not exist"),
            )
        })
}

/// A type name as written in a declaration.
pub fn parse_type(session: &mut Session, text: &str) -> PgResult<(u32, i32)> {
    let sql = format!("SELECT NULL::{text}");
    let stmts = crate::syntax::parse(&sql)?;
    let dt = match stmts.first() {
        Some(Statement::Query(q)) => match q.body.as_ref() {
            sqlparser::ast::SetExpr::Select(s) => match s.projection.first() {
                Some(sqlparser::ast::SelectItem::UnnamedExpr(sqlparser::ast::Expr::Cast {
                    data_type,
                    ..
                })) => Some(data_type.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let dt = dt.ok_or_else(|| {
        PgError::new(
            SqlState::SyntaxError,
            format!("syntax error at or near \"{text}\""),
        )
    })?;
    crate::commands::typecmds::resolve_type(session, &dt)
}

/// Converts a value to a variable's type (PostgreSQL's assignment cast,
/// else through text).
pub fn coerce(session: &Session, v: Datum, from: u32, to: u32, typmod: i32) -> PgResult<Datum> {
    if v.is_null() {
        return Ok(Datum::Null);
    }
    if from == to && typmod < 0 {
        return Ok(v);
    }
    if to == types::oid::RECORD || to == 0 {
        return Ok(v);
    }
    let o = opts(session);
    match executor::cast::cast(v.clone(), from, to, typmod, false, &o) {
        Ok(r) => Ok(r),
        Err(e) if e.code == SqlState::FeatureNotSupported || e.code == SqlState::CannotCoerce => {
            let text = v.to_text(&o);
            executor::cast::cast(Datum::Text(text), types::oid::TEXT, to, typmod, false, &o)
        }
        Err(e) => Err(e),
    }
}

fn assign(
    session: &mut Session,
    frame: &mut Frame<'_>,
    target: &Target,
    v: Datum,
    from: u32,
) -> PgResult<()> {
    // `v.f := x` of a variable of a composite type: that field of its value
    // (a NULL value becomes a row of NULLs first, as in PostgreSQL)
    if let [a, b] = target.parts.as_slice()
        && frame.find_in_label(a, b).is_none()
        && let Some(slot) = frame.find(a)
        && frame.vars[slot].record.is_none()
        && let Some(fields) = types::datum::record::fields_of(frame.vars[slot].type_oid)
    {
        let i = fields.iter().position(|f| &f.name == b).ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedColumn,
                format!("record \"{a}\" has no field \"{b}\""),
            )
        })?;
        let v = coerce(session, v, from, fields[i].type_oid, fields[i].typmod)?;
        let var = &mut frame.vars[slot];
        let mut rec = match std::mem::replace(&mut var.value, Datum::Null) {
            Datum::Record(r) => r,
            _ => Box::new(types::datum::record::RecordValue {
                type_oid: var.type_oid,
                values: vec![Datum::Null; fields.len()],
                fields: fields.clone(),
            }),
        };
        rec.values[i] = v;
        var.value = Datum::Record(rec);
        return Ok(());
    }
    let (slot, field) = resolve_target(frame, target)?;
    let var = &frame.vars[slot];
    if var.constant {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!("variable \"{}\" is declared CONSTANT", var.name),
        ));
    }
    match field {
        Some(i) => {
            let t = var
                .record
                .as_ref()
                .and_then(|r| r.as_ref())
                .map_or(0, |r| r.types[i]);
            let v = coerce(session, v, from, t, -1)?;
            if let Some(Some(row)) = &mut frame.vars[slot].record {
                row.values[i] = v;
            }
        }
        None => {
            if var.record.is_some() {
                return Err(PgError::feature_not_supported(
                    "assigning a value to a record variable (use SELECT ... INTO)",
                ));
            }
            let (t, typmod, not_null) = (var.type_oid, var.typmod, var.not_null);
            let v = coerce(session, v, from, t, typmod)?;
            if not_null && v.is_null() {
                return Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    format!(
                        "null value cannot be assigned to variable \"{}\" declared NOT NULL",
                        frame.vars[slot].name
                    ),
                ));
            }
            frame.vars[slot].value = v;
        }
    }
    Ok(())
}

fn resolve_target(frame: &Frame<'_>, target: &Target) -> PgResult<(usize, Option<usize>)> {
    let missing = || {
        PgError::new(
            SqlState::SyntaxError,
            format!("\"{}\" is not a known variable", target.parts.join(".")),
        )
    };
    match target.parts.as_slice() {
        [name] => frame.find(name).map(|s| (s, None)).ok_or_else(missing),
        [a, b] => {
            if let Some(s) = frame.find_in_label(a, b) {
                return Ok((s, None));
            }
            let slot = frame.find(a).ok_or_else(missing)?;
            let row = frame.vars[slot]
                .record
                .as_ref()
                .ok_or_else(missing)?
                .as_ref()
                .ok_or_else(|| {
                    PgError::new(
                        SqlState::ObjectNotInPrerequisiteState,
                        format!("record \"{a}\" is not assigned yet"),
                    )
                    .with_detail(
                        "The tuple structure of a not-yet-assigned record is indeterminate.",
                    )
                })?;
            let i = row.names.iter().position(|n| n == b).ok_or_else(|| {
                PgError::new(
                    SqlState::UndefinedColumn,
                    format!("record \"{a}\" has no field \"{b}\""),
                )
            })?;
            Ok((slot, Some(i)))
        }
        _ => Err(missing()),
    }
}

/// Assigns one result row to INTO / FOR targets: one record variable
/// takes the whole row, else the columns go to the targets in order.
fn assign_row(
    session: &mut Session,
    frame: &mut Frame<'_>,
    targets: &[Target],
    columns: &[(String, u32)],
    row: Vec<Datum>,
) -> PgResult<()> {
    if let [t] = targets
        && let [name] = t.parts.as_slice()
        && let Some(slot) = frame.find(name)
        && let Some(rec) = &frame.vars[slot].record
    {
        let new = match rec {
            // A %ROWTYPE variable keeps its fields; values by position.
            Some(existing) if frame.vars[slot].type_oid != types::oid::RECORD => {
                let mut r = existing.clone();
                r.null = false;
                for (i, v) in row.into_iter().enumerate() {
                    if i < r.values.len() {
                        let from = columns.get(i).map_or(0, |c| c.1);
                        r.values[i] = coerce(session, v, from, r.types[i], -1)?;
                    }
                }
                r
            }
            _ => Row {
                names: columns.iter().map(|c| c.0.clone()).collect(),
                types: columns.iter().map(|c| c.1).collect(),
                values: row,
                null: false,
            },
        };
        frame.vars[slot].record = Some(Some(new));
        return Ok(());
    }
    let mut values = row.into_iter();
    for (i, t) in targets.iter().enumerate() {
        let v = values.next().unwrap_or(Datum::Null);
        let from = columns.get(i).map_or(0, |c| c.1);
        assign(session, frame, t, v, from)?;
    }
    Ok(())
}

fn store_into(
    session: &mut Session,
    frame: &mut Frame<'_>,
    into: &[Target],
    strict: bool,
    r: SqlResult,
) -> PgResult<()> {
    if strict && r.rows.is_empty() {
        return Err(PgError::new(
            SqlState::NoDataFound,
            "query returned no rows",
        ));
    }
    if strict && r.rows.len() > 1 {
        return Err(
            PgError::new(SqlState::TooManyRows, "query returned more than one row")
                .with_hint("Make sure the query returns a single row, or use LIMIT 1."),
        );
    }
    frame.set_found(!r.rows.is_empty());
    frame.row_count = r.rows.len().min(1) as u64;
    let row = match r.rows.into_iter().next() {
        Some(row) => row,
        None => vec![Datum::Null; r.columns.len()],
    };
    assign_row(session, frame, into, &r.columns, row)
}

fn eval_bool(session: &mut Session, frame: &mut Frame<'_>, e: &Expr) -> PgResult<bool> {
    Ok(eval_bool_nullable(session, frame, e)? == Some(true))
}

fn eval_bool_nullable(
    session: &mut Session,
    frame: &mut Frame<'_>,
    e: &Expr,
) -> PgResult<Option<bool>> {
    let (v, t) = eval_expr(session, frame, e)?;
    match coerce(session, v, t, types::oid::BOOL, -1)? {
        Datum::Bool(b) => Ok(Some(b)),
        _ => Ok(None),
    }
}

/// Evaluates an expression of the body (as `SELECT expr`): its value and
/// type.
/// Runs an SQL function's body statement by statement, its arguments
/// the frame's variables: the result is the last statement's rows (all of
/// them for a set, the first one's first value for a scalar).
pub fn run_sql_body(
    session: &mut Session,
    frame: &mut Frame<'_>,
    body: &str,
) -> PgResult<CallResult> {
    let statements = super::parse::split_statements(body)?;
    let mut last = None;
    for sql in &statements {
        last = Some(run_sql(session, frame, sql, sql.as_ptr() as usize)?);
    }
    let sig = frame.sig;
    let Some(r) = last else {
        return Ok(CallResult {
            value: Datum::Null,
            rows: Vec::new(),
        });
    };
    if sig.ret_type == types::oid::VOID {
        // An SQL function's void is NULL (PL/pgSQL's is not).
        return Ok(CallResult {
            value: Datum::Null,
            rows: Vec::new(),
        });
    }
    let mut rows = r.rows;
    if !sig.retset {
        rows.truncate(1);
    }
    let want: Vec<u32> = match sig.out_columns.is_empty() {
        true => vec![sig.ret_type],
        false => sig.out_columns.iter().map(|c| c.1).collect(),
    };
    for row in &mut rows {
        for (i, v) in row.iter_mut().enumerate() {
            let from = r.columns.get(i).map_or(0, |c| c.1);
            if let Some(&to) = want.get(i) {
                *v = coerce(session, std::mem::replace(v, Datum::Null), from, to, -1)?;
            }
        }
    }
    let value = rows
        .first()
        .and_then(|row| row.first().cloned())
        .unwrap_or(Datum::Null);
    Ok(CallResult { value, rows })
}

/// Evaluates a condition of the body (NULL is false).
pub fn eval_condition(session: &mut Session, frame: &mut Frame<'_>, text: &str) -> PgResult<bool> {
    eval_bool(
        session,
        frame,
        &Expr {
            text: text.to_string(),
            line: 0,
        },
    )
}

pub fn eval_expr(session: &mut Session, frame: &mut Frame<'_>, e: &Expr) -> PgResult<(Datum, u32)> {
    eval_expr_keyed(session, frame, e, key(e))
}

/// [`eval_expr`] with the plan cache key given (for an expression made up
/// while running, which has no place of its own in the body).
fn eval_expr_keyed(
    session: &mut Session,
    frame: &mut Frame<'_>,
    e: &Expr,
    cache_key: usize,
) -> PgResult<(Datum, u32)> {
    let sql = format!("{EXPRESSION_PREFIX}{}", e.text);
    let r = run_sql(session, frame, &sql, cache_key)?;
    if r.columns.len() != 1 {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!(
                "query \"SELECT {}\" returned {} columns",
                e.text,
                r.columns.len()
            ),
        ));
    }
    if r.rows.len() > 1 {
        return Err(PgError::new(
            SqlState::CardinalityViolation,
            format!("query \"SELECT {}\" returned more than one row", e.text),
        ));
    }
    let t = r.columns[0].1;
    let v = r
        .rows
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next())
        .unwrap_or(Datum::Null);
    Ok((v, t))
}

/// The rows of a query of the body, or of a dynamic one (`EXECUTE text
/// USING ...`).
fn run_query(
    session: &mut Session,
    frame: &mut Frame<'_>,
    query: &Expr,
    dynamic: bool,
    using: &[Expr],
) -> PgResult<SqlResult> {
    match dynamic {
        true => run_dynamic(session, frame, query, using),
        false => run_sql(session, frame, &query.text, key(query)),
    }
}

/// `EXECUTE text [USING ...]`: the text is evaluated, then run with the
/// USING values as `$1` ...
fn run_dynamic(
    session: &mut Session,
    frame: &mut Frame<'_>,
    query: &Expr,
    using: &[Expr],
) -> PgResult<SqlResult> {
    let (v, _) = eval_expr(session, frame, query)?;
    let sql = match v {
        Datum::Null => {
            return Err(PgError::new(
                SqlState::NullValueNotAllowed,
                "query string argument of EXECUTE is null",
            ));
        }
        v => v.to_text(&opts(session)),
    };
    let mut values = Vec::with_capacity(using.len());
    let mut types = Vec::with_capacity(using.len());
    for u in using {
        let (v, t) = eval_expr(session, frame, u)?;
        values.push(v);
        types.push(t);
    }
    let stmts = crate::syntax::parse(&sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "EXECUTE of several statements",
        ));
    };
    run_statement(session, stmt, &sql, &types, values, None)
}

/// The key of a statement whose plan is not kept (one made up while
/// running, whose address may be another's later).
const NO_CACHE: usize = 0;

/// The plan cache key of an expression or statement of the body: where
/// it is in the parsed body (the same text elsewhere may name other
/// variables).
fn key(e: &Expr) -> usize {
    std::ptr::from_ref(e) as usize
}

/// Runs one SQL statement of the body with the frame's variables; its plan
/// is kept under `key` while the catalog and the types of the variables
/// it reads stay the same.
fn run_sql(
    session: &mut Session,
    frame: &mut Frame<'_>,
    sql: &str,
    key: usize,
) -> PgResult<SqlResult> {
    let version = crate::tcop::catalog_version(session);
    if key != NO_CACHE
        && let Some((plan, used, v, types)) = frame.plans.get(&key)
        && *v == version
        && used
            .iter()
            .map(|&r| frame.param_type(r))
            .eq(types.iter().copied())
    {
        let plan = plan.clone();
        let params: Vec<Datum> = used.iter().map(|&r| frame.param_value(r)).collect();
        return execute_in_frame(session, frame, &plan, params, sql);
    }
    let stmts = crate::syntax::parse(sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::new(
            SqlState::SyntaxError,
            "syntax error at or near \";\"",
        ));
    };
    if !matches!(
        stmt,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
    ) && !crate::syntax::is_procedure_call(stmt)
    {
        return run_statement(session, stmt, sql, &[], Vec::new(), Some(frame));
    }
    let resolver = Resolver {
        frame,
        used: RefCell::new((0..frame.nargs).map(ParamRef::Var).collect()),
    };
    let arg_types: Vec<u32> = frame.vars[..frame.nargs]
        .iter()
        .map(|v| v.type_oid)
        .collect();
    let plan = {
        let catalog = crate::table_access::SessionCatalog::new(session);
        planner::plan_statement_with_variables(stmt, sql, &arg_types, &catalog, &resolver).map_err(
            |mut e| {
                // Its position is in the body's statement, not the client's.
                e.position = None;
                e
            },
        )?
    };
    let used = resolver.used.into_inner();
    let plan = std::sync::Arc::new(plan);
    let params: Vec<Datum> = used.iter().map(|&r| frame.param_value(r)).collect();
    if key != NO_CACHE {
        let types = used.iter().map(|&r| frame.param_type(r)).collect();
        frame
            .plans
            .insert(key, (plan.clone(), used, version, types));
    }
    execute_in_frame(session, frame, &plan, params, sql)
}

/// Runs a statement of the body planned with its variables; a CALL's
/// output arguments then go to the variables given for them, and the
/// procedure it calls may end transactions if this one may.
fn execute_in_frame(
    session: &mut Session,
    frame: &mut Frame<'_>,
    plan: &planner::PlannedStmt,
    params: Vec<Datum>,
    sql: &str,
) -> PgResult<SqlResult> {
    session.nonatomic_call = plan.call.is_some() && frame.nonatomic;
    let r = execute_plan(session, plan, params, sql);
    session.nonatomic_call = false;
    let r = r?;
    assign_call_outputs(session, frame, sql, plan, &r)?;
    Ok(r)
}

/// COMMIT or ROLLBACK in a procedure that may end transactions: ends this
/// one and starts the next, which the rest of the procedure runs in.
fn end_transaction(session: &mut Session, commit: bool) -> PgResult<()> {
    if !session.tx.savepoints.is_empty() {
        let verb = if commit { "commit" } else { "roll back" };
        return Err(PgError::new(
            SqlState::InvalidTransactionTermination,
            format!("cannot {verb} while a subtransaction is active"),
        ));
    }
    let result = match commit {
        true => crate::xact::commit(session),
        false => {
            crate::xact::abort(session);
            Ok(())
        }
    };
    match result {
        Ok(()) if commit => session.settings.commit_transaction(),
        _ => session.settings.abort_transaction(),
    }
    session.settings.begin_transaction();
    session.xact_start = crate::session::now_pg();
    result
}

/// After a CALL in the body: the value of each OUT / INOUT argument of the
/// procedure goes to the variable the call gave for it.
fn assign_call_outputs(
    session: &mut Session,
    frame: &mut Frame<'_>,
    sql: &str,
    plan: &planner::PlannedStmt,
    r: &SqlResult,
) -> PgResult<()> {
    use sqlparser::ast::{Expr as AstExpr, FunctionArg, FunctionArgExpr, FunctionArguments};
    let Some(outputs) = plan.call.as_ref().filter(|o| !o.is_empty()) else {
        return Ok(());
    };
    let stmts = crate::syntax::parse(sql)?;
    let Some(Statement::Call(f)) = stmts.first() else {
        return Ok(());
    };
    let FunctionArguments::List(list) = &f.args else {
        return Ok(());
    };
    let row = r.rows.first().cloned().unwrap_or_default();
    for (j, slot) in outputs.iter().enumerate() {
        let Some(k) = slot else {
            continue;
        };
        let expr = match list.args.get(*k) {
            Some(
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
                | FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                }
                | FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                },
            ) => e,
            _ => continue,
        };
        let parts = match expr {
            AstExpr::Identifier(i) => vec![crate::syntax::fold(i)],
            AstExpr::CompoundIdentifier(ids) => ids.iter().map(crate::syntax::fold).collect(),
            _ => {
                let name = r.columns.get(j).map_or("", |c| c.0.as_str());
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!(
                        "procedure parameter \"{name}\" is an output parameter but corresponding argument is not writable"
                    ),
                ));
            }
        };
        let from = r.columns.get(j).map_or(0, |c| c.1);
        let v = row.get(j).cloned().unwrap_or(Datum::Null);
        assign(session, frame, &Target { parts }, v, from)?;
    }
    Ok(())
}

fn execute_plan(
    session: &mut Session,
    plan: &planner::PlannedStmt,
    mut params: Vec<Datum>,
    sql: &str,
) -> PgResult<SqlResult> {
    params.resize(plan.param_types.len(), Datum::Null);
    if !crate::tcop::lock_relations(session, plan)? {
        crate::relcache::accept_invalidations(session);
    }
    crate::tcop::check_plan_writable(session, plan)?;
    // The statement's AFTER triggers fire when it ends.
    let queued = session.after_triggers.len();
    let result = executor::execute_statement(plan, &params, session)
        .and_then(|r| crate::commands::trigger::fire_after(session, queued).map(|()| r));
    let result = result.map_err(|e| sql_context(e, sql))?;
    crate::xact::command_counter_increment(session)?;
    Ok(SqlResult {
        columns: plan
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.type_oid))
            .collect(),
        processed: result.processed,
        rows: result.rows,
    })
}

/// The `SQL statement "..."` CONTEXT line of an error a statement of the
/// body raised while it ran (an expression's errors get none, as
/// PostgreSQL's simple expressions; nor do a called function's, which
/// name their own lines).
fn sql_context(e: PgError, sql: &str) -> PgError {
    if e.context.is_some() || sql.starts_with(EXPRESSION_PREFIX) {
        return e;
    }
    add_context(e, format!("SQL statement \"{sql}\""))
}

/// How [`eval_expr`] makes a query of an expression (PERFORM writes
/// `SELECT ` in capitals, and is a statement).
const EXPRESSION_PREFIX: &str = "SELECT\u{20}\u{20}";

/// A statement that is not planned with the frame's variables: dynamic
/// SQL (with `$n` parameters) and utility statements.
fn run_statement(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    types: &[u32],
    values: Vec<Datum>,
    frame: Option<&Frame<'_>>,
) -> PgResult<SqlResult> {
    let none = || SqlResult {
        columns: Vec::new(),
        rows: Vec::new(),
        processed: 0,
    };
    if frame.is_some_and(|f| f.nonatomic) {
        match stmt {
            Statement::Commit { chain: false, .. } => {
                return end_transaction(session, true).map(|()| none());
            }
            Statement::Rollback {
                chain: false,
                savepoint: None,
            } => return end_transaction(session, false).map(|()| none()),
            _ => {}
        }
    }
    if matches!(
        stmt,
        Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
    ) {
        return Err(PgError::new(
            SqlState::InvalidTransactionTermination,
            "invalid transaction termination",
        ));
    }
    if matches!(
        stmt,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
    ) {
        let plan = {
            let catalog = crate::table_access::SessionCatalog::new(session);
            planner::plan_statement_in(stmt, sql, types, &catalog)?
        };
        return execute_plan(session, &plan, values, sql);
    }
    let outcome = crate::tcop::run_statement(session, stmt, sql, None, &[])
        .map_err(|e| sql_context(e, sql))?;
    crate::xact::command_counter_increment(session)?;
    Ok(match outcome {
        crate::utility::Outcome::Rows { columns, rows, .. } => SqlResult {
            columns: columns
                .iter()
                .map(|c| (c.name.clone(), c.type_oid))
                .collect(),
            processed: rows.len() as u64,
            rows,
        },
        _ => SqlResult {
            columns: Vec::new(),
            rows: Vec::new(),
            processed: 0,
        },
    })
}
