//! Triggers (PostgreSQL's `commands/trigger.c`): CREATE and DROP TRIGGER,
//! and firing them for the executor.
//!
//! A trigger is a `pg_trigger` row; the relation cache hands the enabled
//! ones to the executor with the relation (`RelationDesc::triggers`).
//! The executor calls back through its context:
//! - row-level BEFORE triggers run at once ([`before_row`]) and may change
//!   or drop the row;
//! - row-level and statement-level AFTER triggers are queued
//!   ([`queue_after`]) and fire when the statement that caused them ends
//!   ([`fire_after`]): at the end of a client statement, or of a statement
//!   run from a PL/pgSQL function;
//! - statement-level BEFORE triggers run at once.
//!
//! Trigger functions are PL/pgSQL (`crate::plpgsql::call_trigger`). A
//! partitioned table's row-level triggers fire on its partitions (the
//! partition's description carries its ancestors' triggers; PostgreSQL
//! clones them into `pg_trigger`). Transition tables (`REFERENCING OLD /
//! NEW TABLE AS`) are the statement's queued row events of that relation,
//! which the trigger function's statements read like WITH queries. Not
//! yet: INSTEAD OF triggers, TRUNCATE triggers, constraint triggers.

use std::sync::Arc;

use sqlparser::ast::{CreateTrigger, DropTrigger, TriggerObject, TriggerObjectKind, TriggerPeriod};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{
    PG_TRIGGER, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_DELETE, TRIGGER_TYPE_INSERT, TRIGGER_TYPE_ROW,
    TRIGGER_TYPE_TRUNCATE, TRIGGER_TYPE_UPDATE, TriggerRow,
};
use executor::TriggerEvent;
use planner::{RelationDesc, TriggerDesc};
use types::{Datum, PgError, PgResult, SqlState};

use super::*;
use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

/// The relation a trigger fires for, as its function sees it.
#[derive(Debug, Clone)]
pub struct TriggerRel {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    /// Every column (dropped ones too): name, type, dropped.
    pub columns: Arc<Vec<(String, u32, bool)>>,
    pub triggers: Arc<Vec<TriggerDesc>>,
}

impl TriggerRel {
    pub fn of(rel: &RelationDesc) -> TriggerRel {
        TriggerRel {
            oid: rel.oid,
            name: rel.name.clone(),
            schema: rel.schema.clone(),
            columns: Arc::new(
                rel.columns
                    .iter()
                    .map(|c| (c.name.clone(), c.type_oid, c.dropped))
                    .collect(),
            ),
            triggers: rel.triggers.clone(),
        }
    }
}

/// An AFTER trigger event waiting for its statement's end.
#[derive(Debug, Clone)]
pub struct AfterEvent {
    rel: TriggerRel,
    event: TriggerEvent,
    /// Row-level: the old and new rows; statement-level: both None.
    row: bool,
    old: Option<Vec<Datum>>,
    new: Option<Vec<Datum>>,
}

/// A statement's transition tables: its old rows and its new rows.
pub type Transition = (Arc<Vec<Vec<Datum>>>, Arc<Vec<Vec<Datum>>>);

/// One trigger call's facts.
pub struct Firing<'a> {
    pub trigger: &'a TriggerDesc,
    pub rel: &'a TriggerRel,
    pub event: TriggerEvent,
    pub old: Option<&'a [Datum]>,
    pub new: Option<&'a [Datum]>,
    /// The statement's transition tables (old and new rows), for a
    /// trigger that references them.
    pub transition: Option<Transition>,
}

/// Whether an UPDATE OF trigger's columns changed (always true for one
/// without a column list).
fn columns_changed(
    t: &TriggerDesc,
    rel: &TriggerRel,
    old: Option<&[Datum]>,
    new: Option<&[Datum]>,
) -> bool {
    if t.columns.is_empty() {
        return true;
    }
    let (Some(old), Some(new)) = (old, new) else {
        return true;
    };
    let _ = rel;
    t.columns.iter().any(|&attnum| {
        let i = (attnum - 1) as usize;
        old.get(i) != new.get(i)
    })
}

/// The row-level BEFORE triggers of `rel` for `event` (see
/// `ExecContext::before_row_triggers`).
pub fn before_row(
    session: &mut Session,
    rel: &RelationDesc,
    event: TriggerEvent,
    old: Option<&[Datum]>,
    new: Option<Vec<Datum>>,
) -> PgResult<Option<Vec<Datum>>> {
    let trel = TriggerRel::of(rel);
    let mut current = new;
    for t in rel.triggers.iter() {
        if !(t.is_row() && t.is_before() && !t.is_instead() && t.fires_on(event.bit())) {
            continue;
        }
        if event == TriggerEvent::Update && !columns_changed(t, &trel, old, current.as_deref()) {
            continue;
        }
        let firing = Firing {
            trigger: t,
            rel: &trel,
            event,
            old,
            new: current.as_deref(),
            transition: None,
        };
        if !crate::plpgsql::trigger_when(session, &firing)? {
            continue;
        }
        match crate::plpgsql::call_trigger(session, &firing, true, true)? {
            None => return Ok(None),
            Some(row) => {
                if event != TriggerEvent::Delete {
                    current = Some(row);
                }
            }
        }
    }
    Ok(Some(current.unwrap_or_default()))
}

/// Queues the AFTER triggers of one row (`row`) or of a statement.
pub fn queue_after(
    session: &mut Session,
    rel: &RelationDesc,
    event: TriggerEvent,
    row: bool,
    old: Option<Vec<Datum>>,
    new: Option<Vec<Datum>>,
) {
    session.after_triggers.push(AfterEvent {
        rel: TriggerRel::of(rel),
        event,
        row,
        old,
        new,
    });
}

/// Statement-level BEFORE triggers: fired now.
pub fn before_statement(
    session: &mut Session,
    rel: &RelationDesc,
    event: TriggerEvent,
) -> PgResult<()> {
    let trel = TriggerRel::of(rel);
    for t in rel.triggers.iter() {
        if t.is_row() || !t.is_before() || t.is_instead() || !t.fires_on(event.bit()) {
            continue;
        }
        let firing = Firing {
            trigger: t,
            rel: &trel,
            event,
            old: None,
            new: None,
            transition: None,
        };
        if crate::plpgsql::trigger_when(session, &firing)? {
            crate::plpgsql::call_trigger(session, &firing, true, false)?;
        }
    }
    Ok(())
}

/// Fires the AFTER events queued since `from` (in order), and those they
/// cause in turn.
pub fn fire_after(session: &mut Session, from: usize) -> PgResult<()> {
    while session.after_triggers.len() > from {
        let events: Vec<AfterEvent> = session.after_triggers.drain(from..).collect();
        for ev in &events {
            for t in ev.rel.triggers.iter() {
                if t.is_row() != ev.row
                    || t.is_before()
                    || t.is_instead()
                    || !t.fires_on(ev.event.bit())
                {
                    continue;
                }
                if ev.event == TriggerEvent::Update
                    && !columns_changed(t, &ev.rel, ev.old.as_deref(), ev.new.as_deref())
                {
                    continue;
                }
                let transition = t
                    .has_transition()
                    .then(|| transition_rows(&events, ev.rel.oid, ev.event));
                let firing = Firing {
                    trigger: t,
                    rel: &ev.rel,
                    event: ev.event,
                    old: ev.old.as_deref(),
                    new: ev.new.as_deref(),
                    transition,
                };
                if crate::plpgsql::trigger_when(session, &firing)? {
                    crate::plpgsql::call_trigger(session, &firing, false, ev.row)?;
                }
            }
        }
    }
    Ok(())
}

/// The old and new rows of the statement's `event` on relation `relid`
/// among `events` (its transition tables).
fn transition_rows(events: &[AfterEvent], relid: u32, event: TriggerEvent) -> Transition {
    let mine = || {
        events
            .iter()
            .filter(move |e| e.row && e.rel.oid == relid && e.event == event)
    };
    (
        Arc::new(mine().filter_map(|e| e.old.clone()).collect()),
        Arc::new(mine().filter_map(|e| e.new.clone()).collect()),
    )
}

/// A BEFORE row trigger's WHEN condition sees NEW before the generated
/// columns are computed, so it may not read them (42P17, as PostgreSQL).
fn before_when_generated(
    info: &catalog::heap_catalog::RelationInfo,
    cond: &sqlparser::ast::Expr,
) -> PgResult<()> {
    use sqlparser::ast::Expr;
    if !info
        .columns
        .iter()
        .any(|c| !c.dropped && c.generated != '\0')
    {
        return Ok(());
    }
    let fold = |id: &sqlparser::ast::Ident| match id.quote_style {
        Some(_) => id.value.clone(),
        None => id.value.to_lowercase(),
    };
    let mut refused = None;
    let _ = sqlparser::ast::visit_expressions(cond, |e| {
        match e {
            Expr::CompoundIdentifier(parts) if parts.len() == 2 && fold(&parts[0]) == "new" => {
                let column = fold(&parts[1]);
                if info
                    .columns
                    .iter()
                    .any(|c| !c.dropped && c.generated != '\0' && c.name == column)
                {
                    refused = Some(format!("Column \"{column}\" is a generated column."));
                }
            }
            Expr::QualifiedWildcard(name, _)
                if name.0.len() == 1
                    && name.0[0].as_ident().is_some_and(|id| fold(id) == "new") =>
            {
                refused = Some(
                    "A whole-row reference is used and the table contains generated columns."
                        .to_string(),
                );
            }
            Expr::Identifier(id) if fold(id) == "new" => {
                refused = Some(
                    "A whole-row reference is used and the table contains generated columns."
                        .to_string(),
                );
            }
            _ => {}
        }
        match refused {
            Some(_) => std::ops::ControlFlow::Break(()),
            None => std::ops::ControlFlow::Continue(()),
        }
    });
    match refused {
        Some(detail) => Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            "BEFORE trigger's WHEN condition cannot reference NEW generated columns",
        )
        .with_detail(detail)),
        None => Ok(()),
    }
}

/// `CREATE TRIGGER name {BEFORE | AFTER} event [OR ...] ON table
/// [FOR [EACH] {ROW | STATEMENT}] [WHEN (condition)] EXECUTE {FUNCTION |
/// PROCEDURE} f(args)`.
pub(crate) fn create_trigger(session: &mut Session, ct: &CreateTrigger) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE TRIGGER")?;

    let name = ident(
        ct.name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .ok_or_else(|| PgError::syntax("syntax error at or near \"TRIGGER\"", None))?,
    );
    let (schema, table) = split_name(&ct.table_name)?;
    let info =
        crate::relcache::lookup_relation(session, schema.as_deref(), &table)?.ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{table}\" does not exist"),
            )
        })?;
    if info.kind == 'f' && (ct.is_constraint || !ct.referencing.is_empty()) {
        let detail = if ct.is_constraint {
            "Foreign tables cannot have constraint triggers."
        } else {
            "Triggers on foreign tables cannot have transition tables."
        };
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{table}\" is a foreign table"),
        )
        .with_detail(detail));
    }
    if ct.is_constraint {
        return Err(PgError::feature_not_supported("constraint triggers"));
    }
    let mut tgtype: i16 = 0;
    let row_level = matches!(
        ct.trigger_object,
        Some(
            TriggerObjectKind::For(TriggerObject::Row)
                | TriggerObjectKind::ForEach(TriggerObject::Row)
        )
    );
    if row_level {
        tgtype |= TRIGGER_TYPE_ROW;
    }
    match ct.period {
        Some(TriggerPeriod::Before) => tgtype |= TRIGGER_TYPE_BEFORE,
        Some(TriggerPeriod::InsteadOf) => {
            return Err(PgError::feature_not_supported("INSTEAD OF triggers"));
        }
        _ => {}
    }
    let mut columns = Vec::new();
    for e in &ct.events {
        tgtype |= match e {
            sqlparser::ast::TriggerEvent::Insert => TRIGGER_TYPE_INSERT,
            sqlparser::ast::TriggerEvent::Delete => TRIGGER_TYPE_DELETE,
            sqlparser::ast::TriggerEvent::Truncate => TRIGGER_TYPE_TRUNCATE,
            sqlparser::ast::TriggerEvent::Update(cols) => {
                for c in cols {
                    let n = ident(c);
                    let col = info
                        .columns
                        .iter()
                        .find(|x| !x.dropped && x.name == n)
                        .ok_or_else(|| {
                            PgError::new(
                                SqlState::UndefinedColumn,
                                format!("column \"{n}\" of relation \"{table}\" does not exist"),
                            )
                        })?;
                    columns.push(col.attnum);
                }
                TRIGGER_TYPE_UPDATE
            }
        };
    }
    if tgtype & TRIGGER_TYPE_TRUNCATE != 0 {
        return Err(PgError::feature_not_supported("TRUNCATE triggers"));
    }
    match info.kind {
        // A partitioned table's row-level triggers fire on its partitions;
        // a foreign table's never fire (it cannot be written here).
        'r' | 'p' | 'f' => {}
        'v' => {
            return Err(
                PgError::new(SqlState::WrongObjectType, format!("\"{table}\" is a view"))
                    .with_detail("Views cannot have row-level BEFORE or AFTER triggers."),
            );
        }
        _ => {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("relation \"{table}\" cannot have triggers"),
            ));
        }
    }
    let Some(body) = &ct.exec_body else {
        return Err(PgError::syntax("syntax error at end of input", None));
    };
    let (fschema, fname) = split_name(&body.func_desc.name)?;
    let mut args = Vec::new();
    for a in body.func_desc.args.as_deref().unwrap_or(&[]) {
        args.push(trigger_arg(a));
    }
    let candidates = super::function::lookup(session, fschema.as_deref(), &fname)?;
    let func = candidates
        .iter()
        .find(|f| f.arg_types.is_empty())
        .ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedFunction,
                format!("function {fname}() does not exist"),
            )
        })?;
    // Named as written, as PostgreSQL names it here.
    crate::acl::require_function_execute(session, &[func.oid]).map_err(|e| match e.code {
        SqlState::InsufficientPrivilege => crate::acl::permission_denied(
            "function",
            &fschema
                .as_ref()
                .map_or_else(|| fname.clone(), |s| format!("{s}.{fname}")),
        ),
        _ => e,
    })?;
    if func.ret_type != crate::plpgsql::TRIGGER {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            format!("function {fname} must return type trigger"),
        ));
    }
    // REFERENCING OLD TABLE AS o NEW TABLE AS n: AFTER triggers only, each
    // for the events that have such rows.
    let mut old_table = None;
    let mut new_table = None;
    for r in &ct.referencing {
        let name = r.transition_relation_name.to_string().to_lowercase();
        let is_old = matches!(
            r.refer_type,
            sqlparser::ast::TriggerReferencingType::OldTable
        );
        if tgtype & TRIGGER_TYPE_BEFORE != 0 {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                "transition table name can only be specified for an AFTER trigger",
            ));
        }
        let wanted = if is_old {
            TRIGGER_TYPE_DELETE | TRIGGER_TYPE_UPDATE
        } else {
            TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE
        };
        if tgtype & wanted == 0 {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                match is_old {
                    true => "OLD TABLE can only be specified for a DELETE or UPDATE trigger",
                    false => "NEW TABLE can only be specified for an INSERT or UPDATE trigger",
                },
            ));
        }
        match is_old {
            true => old_table = Some(name),
            false => new_table = Some(name),
        }
    }
    let qual = ct.condition.as_ref().map(|c| match c {
        sqlparser::ast::Expr::Nested(inner) => inner.to_string(),
        other => other.to_string(),
    });
    if let Some(q) = &qual {
        let lower = q.to_lowercase();
        if !row_level && (lower.contains("new.") || lower.contains("old.")) {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                "statement trigger's WHEN condition cannot reference column values",
            ));
        }
    }
    if let Some(cond) = &ct.condition
        && row_level
        && tgtype & TRIGGER_TYPE_BEFORE != 0
    {
        before_when_generated(&info, cond)?;
    }
    let existing = with_reader(session, |r| r.triggers(info.oid))?;
    if let Some((tid, old)) = existing.iter().find(|(_, t)| t.name == name) {
        if !ct.or_replace {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("trigger \"{name}\" for relation \"{table}\" already exists"),
            ));
        }
        let row = TriggerRow {
            func: func.oid,
            tgtype,
            columns,
            args,
            qual,
            old_table,
            new_table,
            ..old.clone()
        };
        let db = session.database_oid;
        let tid = *tid;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_trigger(tid, &row, w)
        })?;
    } else {
        crate::xact::ensure_xid(session)?;
        let row = TriggerRow {
            oid: session.storage.transam.new_oid()?,
            relid: info.oid,
            name,
            func: func.oid,
            tgtype,
            enabled: 'O',
            columns,
            args,
            qual,
            old_table,
            new_table,
        };
        let db = session.database_oid;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.create_trigger(w, &row)
        })?;
    }
    catalog_changed(session);
    super::constraints::update_class_flags(session, info.oid, true)?;
    Ok(Outcome::Command("CREATE TRIGGER".into()))
}

/// A trigger argument as its text: a literal's value, else the word.
fn trigger_arg(a: &sqlparser::ast::OperateFunctionArg) -> String {
    let text = match &a.data_type {
        sqlparser::ast::DataType::Custom(name, _) => name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map_or_else(|| name.to_string(), |i| i.value.clone()),
        dt => dt.to_string(),
    };
    match text.strip_prefix(crate::syntax::TRIGGER_ARG_MARKER) {
        Some(t) => t.to_string(),
        None => text,
    }
}

/// DROP TRIGGER [IF EXISTS] name ON table [CASCADE | RESTRICT].
pub(crate) fn drop_trigger(session: &mut Session, dt: &DropTrigger) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP TRIGGER")?;
    let name = dt
        .trigger_name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(ident)
        .unwrap_or_default();
    let Some(table_name) = &dt.table_name else {
        return Err(PgError::syntax("syntax error at or near \";\"", None));
    };
    let (schema, table) = split_name(table_name)?;
    let Some(info) = crate::relcache::lookup_relation(session, schema.as_deref(), &table)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{table}\" does not exist"),
        ));
    };
    let found = with_reader(session, |r| r.triggers(info.oid))?
        .into_iter()
        .find(|(_, t)| t.name == name);
    let Some((tid, trigger)) = found else {
        if dt.if_exists {
            session.notice(
                "00000",
                format!("trigger \"{name}\" for relation \"{table}\" does not exist, skipping"),
            );
            return Ok(Outcome::Command("DROP TRIGGER".into()));
        }
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!("trigger \"{name}\" for table \"{table}\" does not exist"),
        ));
    };
    let mut rows = with_reader(session, |r| {
        r.description_rows(PG_TRIGGER, trigger.oid, None)
    })?;
    rows.push((PG_TRIGGER, tid));
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("DROP TRIGGER".into()))
}

/// ALTER TRIGGER name ON table RENAME TO new_name.
pub(crate) fn alter_trigger(
    session: &mut Session,
    at: &sqlparser::ast::AlterTrigger,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER TRIGGER")?;
    let sqlparser::ast::AlterTriggerOperation::Rename { new_name } = &at.operation else {
        return Err(PgError::feature_not_supported(format!(
            "ALTER TRIGGER {}",
            at.operation
        )));
    };
    let (name, new_name) = (ident(&at.name), ident(new_name));
    let (schema, table) = split_name(&at.table_name)?;
    let Some(info) = crate::relcache::lookup_relation(session, schema.as_deref(), &table)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{table}\" does not exist"),
        ));
    };
    crate::acl::require_relation_owner(session, info.oid)?;
    let triggers = with_reader(session, |r| r.triggers(info.oid))?;
    if triggers.iter().any(|(_, t)| t.name == new_name) {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("trigger \"{new_name}\" for relation \"{table}\" already exists"),
        ));
    }
    let Some((tid, t)) = triggers.into_iter().find(|(_, t)| t.name == name) else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!("trigger \"{name}\" for table \"{table}\" does not exist"),
        ));
    };
    let row = TriggerRow {
        name: new_name,
        ..t
    };
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_trigger(tid, &row, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("ALTER TRIGGER".into()))
}

/// ALTER TABLE ... {ENABLE [ALWAYS | REPLICA] | DISABLE} TRIGGER {name |
/// ALL | USER}: `tgenabled` of the trigger (or all of them; there are no
/// internal ones).
pub(crate) fn set_enabled(
    session: &mut Session,
    table: &catalog::heap_catalog::RelationInfo,
    name: &sqlparser::ast::Ident,
    enabled: char,
) -> PgResult<()> {
    let all = name.quote_style.is_none()
        && (name.value.eq_ignore_ascii_case("all") || name.value.eq_ignore_ascii_case("user"));
    let wanted = ident(name);
    let triggers = with_reader(session, |r| r.triggers(table.oid))?;
    let chosen: Vec<_> = triggers
        .into_iter()
        .filter(|(_, t)| all || t.name == wanted)
        .collect();
    if chosen.is_empty() && !all {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "trigger \"{wanted}\" for table \"{}\" does not exist",
                table.name
            ),
        ));
    }
    let db = session.database_oid;
    for (tid, t) in chosen {
        let row = TriggerRow { enabled, ..t };
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_trigger(tid, &row, w)
        })?;
    }
    catalog_changed(session);
    Ok(())
}

/// `pg_get_triggerdef(oid)`: the CREATE TRIGGER statement.
pub fn triggerdef(session: &mut Session, oid: u32, pretty: bool) -> PgResult<Option<String>> {
    let Some(t) = with_reader(session, |r| r.trigger_by_oid(oid))? else {
        return Ok(None);
    };
    let Some(rel) = with_reader(session, |r| r.relation_by_oid(t.relid))? else {
        return Ok(None);
    };
    let func = with_reader(session, |r| r.function_by_oid(t.func))?;
    let mut events = Vec::new();
    if t.tgtype & TRIGGER_TYPE_INSERT != 0 {
        events.push("INSERT".to_string());
    }
    if t.tgtype & TRIGGER_TYPE_DELETE != 0 {
        events.push("DELETE".to_string());
    }
    if t.tgtype & TRIGGER_TYPE_UPDATE != 0 {
        if t.columns.is_empty() {
            events.push("UPDATE".to_string());
        } else {
            let names: Vec<String> = t
                .columns
                .iter()
                .filter_map(|&a| rel.columns.iter().find(|c| c.attnum == a))
                .map(|c| c.name.clone())
                .collect();
            events.push(format!("UPDATE OF {}", names.join(", ")));
        }
    }
    if t.tgtype & TRIGGER_TYPE_TRUNCATE != 0 {
        events.push("TRUNCATE".to_string());
    }
    let when = if t.tgtype & TRIGGER_TYPE_BEFORE != 0 {
        "BEFORE"
    } else {
        "AFTER"
    };
    let level = if t.tgtype & TRIGGER_TYPE_ROW != 0 {
        "ROW"
    } else {
        "STATEMENT"
    };
    // Without the pretty flag an operator's expression keeps its own
    // parentheses, as PostgreSQL's deparser prints it.
    let qual = t
        .qual
        .as_ref()
        .map(|q| match pretty {
            true => format!(" WHEN ({q})"),
            false => format!(" WHEN (({q}))"),
        })
        .unwrap_or_default();
    let table = match pretty && crate::relcache::search_path(session)?.contains(&rel.namespace_oid)
    {
        true => rel.name.clone(),
        false => format!("{}.{}", rel.namespace, rel.name),
    };
    let args: Vec<String> = t
        .args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "''")))
        .collect();
    // The function is qualified unless search_path finds it, as
    // PostgreSQL's generate_function_name does.
    let function = match func {
        Some(f) if crate::relcache::search_path(session)?.contains(&f.namespace) => f.name,
        Some(f) => format!(
            "{}.{}",
            super::namespace_name(session, f.namespace)?,
            f.name
        ),
        None => String::new(),
    };
    Ok(Some(format!(
        "CREATE TRIGGER {} {when} {} ON {table} FOR EACH {level}{qual} EXECUTE FUNCTION {function}({})",
        t.name,
        events.join(" OR "),
        args.join(", ")
    )))
}
