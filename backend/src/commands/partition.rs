//! Declarative partitioning (the parts of PostgreSQL's `partbounds.c` and
//! `partition.c` that CREATE TABLE ... PARTITION BY / PARTITION OF and
//! ATTACH PARTITION need; the catalog links are [`super::inherit`]'s).
//!
//! - A partitioned table (relkind `'p'`) keeps its key in
//!   `pg_partitioned_table` and has no rows of its own. A partition's bound
//!   is stored in `relpartbound` as `pg_get_expr` prints it
//!   (`FOR VALUES FROM (1) TO (10)`), its values already of the key's types.
//! - A bound becomes SQL text: the partition constraint, the same boolean
//!   expression PostgreSQL derives (`((a IS NOT NULL) AND (a >= 1) AND
//!   (a < 10))`; hash partitions call `satisfies_hash_partition`).
//!   Partitions have their parent's column names, so the text is analyzed
//!   against the partition (to check its rows) or against the parent (to
//!   route a row there). [`describe`] gives the planner both.

use std::cmp::Ordering;
use std::sync::Arc;

use catalog::heap_catalog::RelationInfo;
use sqlparser::ast::{ForValues, PartitionBoundValue};
use types::{Datum, PgError, PgResult, SqlState};

use super::*;
use crate::relcache;
use crate::session::Session;

/// How deep an inheritance tree may be described (the catalog cannot
/// hold a cycle, but a damaged one must not recurse forever).
const MAX_INHERITANCE_DEPTH: usize = 64;

/// One value of a range bound.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BoundValue {
    MinValue,
    MaxValue,
    Value(Datum),
}

/// A partition's bound, its values of the key's types.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    Default,
    /// `IN (...)`: the values, `Datum::Null` for NULL.
    List(Vec<Datum>),
    Range {
        from: Vec<BoundValue>,
        to: Vec<BoundValue>,
    },
    Hash {
        modulus: i32,
        remainder: i32,
    },
}

/// A partitioned table's key: per column, how it is written in SQL (a
/// quoted column name or a parenthesized expression) and its type.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    /// The partitioned table.
    pub relid: u32,
    pub strategy: char,
    pub columns: Vec<(String, u32)>,
}

/// The strategy's name in messages.
fn strategy_name(strategy: char) -> &'static str {
    match strategy {
        'r' => "range",
        'l' => "list",
        _ => "hash",
    }
}

/// The key of partitioned table `info` (None if it is not one).
pub(crate) fn key_of(session: &mut Session, info: &RelationInfo) -> PgResult<Option<Key>> {
    let Some(row) = &info.partition_key else {
        return Ok(None);
    };
    let mut exprs = row.exprs.iter();
    let mut columns = Vec::with_capacity(row.attrs.len());
    for &attnum in &row.attrs {
        if attnum > 0 {
            let c = info
                .columns
                .iter()
                .find(|c| c.attnum == attnum)
                .ok_or_else(|| PgError::internal("partition key column is missing"))?;
            columns.push((types::guc::quote_identifier(&c.name), c.type_oid));
        } else {
            let text = exprs
                .next()
                .ok_or_else(|| PgError::internal("partition key expression is missing"))?;
            let desc = Arc::new(crate::table_access::relation_desc(info));
            let catalog = crate::table_access::SessionCatalog::new(session);
            let x = planner::analyze_stored_expression(desc, text, None, &catalog)?;
            columns.push((format!("({text})"), x.type_oid()));
        }
    }
    Ok(Some(Key {
        relid: info.oid,
        strategy: row.strategy,
        columns,
    }))
}

/// Whether values of this type print as SQL literals without quotes.
fn unquoted(type_oid: u32) -> bool {
    use types::oid::*;
    matches!(
        type_oid,
        INT2 | INT4 | INT8 | NUMERIC | FLOAT4 | FLOAT8 | OID | BOOL
    )
}

/// A bound value as SQL: `1`, `'a'`, `NULL`.
fn literal(d: &Datum, type_oid: u32) -> String {
    if d.is_null() {
        return "NULL".into();
    }
    if let Datum::Bool(b) = d {
        return b.to_string();
    }
    let text = d.to_text(&types::datum::OutputOptions::default());
    let number_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'));
    if unquoted(type_oid) && (number_like || type_oid == types::oid::BOOL) {
        text
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

impl Bound {
    /// The bound as `pg_get_expr(relpartbound, ...)` prints it.
    pub(crate) fn to_sql(&self, key: &Key) -> String {
        let ty = |i: usize| key.columns.get(i).map_or(0, |c| c.1);
        let range_values = |vs: &[BoundValue]| {
            vs.iter()
                .enumerate()
                .map(|(i, v)| match v {
                    BoundValue::MinValue => "MINVALUE".to_string(),
                    BoundValue::MaxValue => "MAXVALUE".to_string(),
                    BoundValue::Value(d) => literal(d, ty(i)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Bound::Default => "DEFAULT".into(),
            Bound::List(values) => format!(
                "FOR VALUES IN ({})",
                values
                    .iter()
                    .map(|d| literal(d, ty(0)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Bound::Range { from, to } => format!(
                "FOR VALUES FROM ({}) TO ({})",
                range_values(from),
                range_values(to)
            ),
            Bound::Hash { modulus, remainder } => {
                format!("FOR VALUES WITH (modulus {modulus}, remainder {remainder})")
            }
        }
    }

    /// Reads a stored bound (as [`Bound::to_sql`] wrote it).
    pub(crate) fn parse(text: &str, key: &Key) -> PgResult<Bound> {
        if text == "DEFAULT" {
            return Ok(Bound::Default);
        }
        let sql = format!("CREATE TABLE x PARTITION OF y {text}");
        let mut stmts = crate::syntax::parse(&sql)?;
        let Some(sqlparser::ast::Statement::CreateTable(ct)) = stmts.pop() else {
            return Err(PgError::internal(format!("bad partition bound: {text}")));
        };
        let opts = types::datum::OutputOptions::default();
        let value = |e: &sqlparser::ast::Expr, i: usize| -> PgResult<Datum> {
            let t = key.columns.get(i).map_or(types::oid::TEXT, |c| c.1);
            match stored_literal(e) {
                None => Ok(Datum::Null),
                Some(s) => Datum::from_text(t, &s, &opts),
            }
        };
        let range = |vs: &[PartitionBoundValue]| -> PgResult<Vec<BoundValue>> {
            vs.iter()
                .enumerate()
                .map(|(i, v)| match v {
                    PartitionBoundValue::MinValue => Ok(BoundValue::MinValue),
                    PartitionBoundValue::MaxValue => Ok(BoundValue::MaxValue),
                    PartitionBoundValue::Expr(e) => value(e, i).map(BoundValue::Value),
                })
                .collect()
        };
        match ct.for_values {
            Some(ForValues::In(values)) => Ok(Bound::List(
                values
                    .iter()
                    .map(|e| value(e, 0))
                    .collect::<PgResult<_>>()?,
            )),
            Some(ForValues::From { from, to }) => Ok(Bound::Range {
                from: range(&from)?,
                to: range(&to)?,
            }),
            Some(ForValues::With { modulus, remainder }) => Ok(Bound::Hash {
                modulus: i32::try_from(modulus).unwrap_or(i32::MAX),
                remainder: i32::try_from(remainder).unwrap_or(i32::MAX),
            }),
            _ => Err(PgError::internal(format!("bad partition bound: {text}"))),
        }
    }

    /// The partition constraint this bound alone gives, as SQL over the
    /// key (None: every row; `siblings` are the other bounds, for DEFAULT).
    pub(crate) fn constraint_sql(&self, key: &Key, siblings: &[Bound]) -> Option<String> {
        match self {
            Bound::Default => {
                let others: Vec<String> = siblings
                    .iter()
                    .filter(|b| !matches!(b, Bound::Default))
                    .filter_map(|b| b.constraint_sql(key, &[]))
                    .collect();
                if others.is_empty() {
                    None
                } else {
                    Some(format!("(NOT ({}))", others.join(" OR ")))
                }
            }
            Bound::List(values) => {
                let (k, t) = key.columns.first()?;
                let listed: Vec<String> = values
                    .iter()
                    .filter(|d| !d.is_null())
                    .map(|d| literal_cast(d, *t))
                    .collect();
                let has_null = values.iter().any(Datum::is_null);
                let inlist = match listed.as_slice() {
                    [one] => format!("({k} = {one})"),
                    // (An ARRAY[] of arrays would be a two-dimensional
                    // array, not a list.)
                    _ if types::oid::element_of(*t).is_some() => format!(
                        "({})",
                        listed
                            .iter()
                            .map(|v| format!("({k} = {v})"))
                            .collect::<Vec<_>>()
                            .join(" OR ")
                    ),
                    _ => format!("({k} = ANY (ARRAY[{}]))", listed.join(", ")),
                };
                Some(match (has_null, listed.is_empty()) {
                    (true, true) => format!("({k} IS NULL)"),
                    (true, false) => format!("(({k} IS NULL) OR {inlist})"),
                    (false, _) => format!("(({k} IS NOT NULL) AND {inlist})"),
                })
            }
            Bound::Hash { modulus, remainder } => {
                let keys: Vec<String> = key.columns.iter().map(|(k, _)| k.clone()).collect();
                Some(format!(
                    "satisfies_hash_partition('{}'::oid, {modulus}, {remainder}, {})",
                    key.relid,
                    keys.join(", ")
                ))
            }
            Bound::Range { from, to } => {
                let mut parts: Vec<String> = key
                    .columns
                    .iter()
                    .map(|(k, _)| format!("({k} IS NOT NULL)"))
                    .collect();
                parts.extend(range_side(key, from, 0, true));
                parts.extend(range_side(key, to, 0, false));
                Some(format!("({})", parts.join(" AND ")))
            }
        }
    }
}

/// A bound value written for analysis: quoted and cast to its type.
fn literal_cast(d: &Datum, type_oid: u32) -> String {
    let lit = literal(d, type_oid);
    if lit.starts_with('\'') {
        // (`character` alone would mean character(1).)
        let name = if type_oid == types::oid::BPCHAR {
            "bpchar".to_string()
        } else {
            types::oid::format_type(type_oid, -1)
        };
        format!("{lit}::{name}")
    } else {
        lit
    }
}

/// The condition `key >= from` (`lower`) or `key < to` of a range bound
/// from column `i` on, lexicographically; None is "always", `false`
/// "never".
fn range_side(key: &Key, values: &[BoundValue], i: usize, lower: bool) -> Option<String> {
    let Some(v) = values.get(i) else {
        // Equal on every column: inside the lower bound, outside the upper.
        return if lower { None } else { Some("false".into()) };
    };
    let (k, t) = key.columns.get(i)?;
    match (v, lower) {
        (BoundValue::MinValue, true) | (BoundValue::MaxValue, false) => None,
        (BoundValue::MaxValue, true) | (BoundValue::MinValue, false) => Some("false".into()),
        (BoundValue::Value(d), _) => {
            let v = literal_cast(d, *t);
            let (strict, weak) = if lower { (">", ">=") } else { ("<", "<=") };
            Some(match range_side(key, values, i + 1, lower) {
                None => format!("({k} {weak} {v})"),
                Some(rest) if rest == "false" => format!("({k} {strict} {v})"),
                Some(rest) => format!("(({k} {strict} {v}) OR (({k} = {v}) AND {rest}))"),
            })
        }
    }
}

/// The SQL literal text of a stored bound value (None for NULL).
fn stored_literal(e: &sqlparser::ast::Expr) -> Option<String> {
    use sqlparser::ast::{Expr, UnaryOperator, Value};
    match e {
        Expr::Value(v) => match &v.value {
            Value::Null => None,
            Value::Number(n, _) => Some(n.clone()),
            Value::SingleQuotedString(s) => Some(s.clone()),
            Value::Boolean(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => stored_literal(expr).map(|s| format!("-{s}")),
        Expr::Nested(inner) => stored_literal(inner),
        other => Some(other.to_string()),
    }
}

/// Compares range bound values (MINVALUE below everything, MAXVALUE above);
/// `upper_a` / `upper_b`: the tuple is an upper bound (exclusive), so it
/// sorts before a lower bound of equal values.
fn compare_range(a: &[BoundValue], b: &[BoundValue]) -> PgResult<Ordering> {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (BoundValue::MinValue, BoundValue::MinValue)
            | (BoundValue::MaxValue, BoundValue::MaxValue) => Ordering::Equal,
            (BoundValue::MinValue, _) | (_, BoundValue::MaxValue) => Ordering::Less,
            (_, BoundValue::MinValue) | (BoundValue::MaxValue, _) => Ordering::Greater,
            (BoundValue::Value(p), BoundValue::Value(q)) => types::compare::compare(p, q)?,
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
        // After MINVALUE or MAXVALUE the later values do not matter.
        if !matches!(x, BoundValue::Value(_)) {
            return Ok(Ordering::Equal);
        }
    }
    Ok(Ordering::Equal)
}

/// The order partitions are scanned in (PostgreSQL's PartitionDesc order):
/// range partitions by lower bound, list partitions by their least value
/// (the NULL-only one last), the default partition at the end.
pub(crate) fn bound_order(a: &Bound, b: &Bound) -> Ordering {
    let least = |vs: &[Datum]| -> Option<Datum> {
        let mut best: Option<Datum> = None;
        for v in vs.iter().filter(|v| !v.is_null()) {
            if best
                .as_ref()
                .is_none_or(|b| types::compare::compare(v, b).is_ok_and(Ordering::is_lt))
            {
                best = Some(v.clone());
            }
        }
        best
    };
    match (a, b) {
        (Bound::Default, Bound::Default) => Ordering::Equal,
        (Bound::Default, _) => Ordering::Greater,
        (_, Bound::Default) => Ordering::Less,
        (Bound::Range { from: p, .. }, Bound::Range { from: q, .. }) => {
            compare_range(p, q).unwrap_or(Ordering::Equal)
        }
        (
            Bound::Hash {
                modulus: m1,
                remainder: r1,
            },
            Bound::Hash {
                modulus: m2,
                remainder: r2,
            },
        ) => (m1, r1).cmp(&(m2, r2)),
        (Bound::List(p), Bound::List(q)) => match (least(p), least(q)) {
            (Some(x), Some(y)) => types::compare::compare(&x, &y).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        _ => Ordering::Equal,
    }
}

/// Whether two bounds of one partitioned table share a value.
fn overlaps(a: &Bound, b: &Bound) -> PgResult<bool> {
    Ok(match (a, b) {
        (Bound::Range { from: f1, to: t1 }, Bound::Range { from: f2, to: t2 }) => {
            compare_range(f1, t2)? == Ordering::Less && compare_range(f2, t1)? == Ordering::Less
        }
        (Bound::List(p), Bound::List(q)) => {
            let mut shared = false;
            for x in p {
                for y in q {
                    shared |= match (x.is_null(), y.is_null()) {
                        (true, true) => true,
                        (false, false) => types::compare::compare(x, y)? == Ordering::Equal,
                        _ => false,
                    };
                }
            }
            shared
        }
        (Bound::Default, Bound::Default) => true,
        (
            Bound::Hash {
                modulus: m1,
                remainder: r1,
            },
            Bound::Hash {
                modulus: m2,
                remainder: r2,
            },
        ) => {
            // Each modulus divides the larger ones, so a row of one is a
            // row of the other when the remainders agree.
            let (small, large) = if m1 <= m2 {
                ((m1, r1), (m2, r2))
            } else {
                ((m2, r2), (m1, r1))
            };
            *small.0 > 0 && large.1 % small.0 == *small.1
        }
        _ => false,
    })
}

/// The bounds of the partitions of `parent` now: (partition name, bound).
pub(crate) fn partition_bounds(
    session: &mut Session,
    parent: &RelationInfo,
    key: &Key,
) -> PgResult<Vec<(String, Bound)>> {
    let mut out = Vec::new();
    for &child in &parent.children {
        let Some(info) = relcache::relation_by_oid(session, child)? else {
            continue;
        };
        if let Some(text) = &info.partbound {
            out.push((info.name.clone(), Bound::parse(text, key)?));
        }
    }
    Ok(out)
}

/// Evaluates one bound expression as a value of the key column's type.
fn bound_datum(
    session: &mut Session,
    e: &sqlparser::ast::Expr,
    type_oid: u32,
    column: &str,
) -> PgResult<Datum> {
    if let sqlparser::ast::Expr::Identifier(id) = e {
        return Err(PgError::new(
            SqlState::InvalidColumnReference,
            format!(
                "cannot use column reference in partition bound expression (\"{}\")",
                id.value
            ),
        ));
    }
    let sql = format!(
        "SELECT CAST(({e}) AS {})",
        types::oid::format_type(type_oid, -1)
    );
    let mut stmts = crate::syntax::parse(&sql)?;
    let Some(stmt) = stmts.pop() else {
        return Err(PgError::internal("partition bound did not parse"));
    };
    match crate::tcop::run_statement(session, &stmt, &sql, None, &[]) {
        Ok(crate::utility::Outcome::Rows { mut rows, .. }) => rows
            .pop()
            .and_then(|mut r| r.pop())
            .ok_or_else(|| PgError::internal("partition bound gave no value")),
        Ok(_) => Err(PgError::internal("partition bound gave no rows")),
        Err(e) if e.code == SqlState::InvalidTextRepresentation => Err(e),
        Err(e) if e.code == SqlState::UndefinedColumn => Err(PgError::new(
            SqlState::InvalidColumnReference,
            "cannot use column reference in partition bound expression",
        )),
        Err(e) if e.code == SqlState::CannotCoerce => Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "specified value cannot be cast to type {} for column {column}",
                types::oid::format_type(type_oid, -1)
            ),
        )),
        Err(e) => Err(e),
    }
}

/// The bound a PARTITION OF statement gives, checked against the key and
/// against the partitions `parent` has.
pub(crate) fn new_bound(
    session: &mut Session,
    parent: &RelationInfo,
    name: &str,
    spec: &ForValues,
    sql: &str,
    check_default: bool,
) -> PgResult<String> {
    let positions = BoundPositions::find(sql);
    let Some(key) = key_of(session, parent)? else {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{}\" is not partitioned", parent.name),
        ));
    };
    let invalid = || {
        PgError::new(
            SqlState::InvalidTableDefinition,
            format!(
                "invalid bound specification for a {} partition",
                strategy_name(key.strategy)
            ),
        )
    };
    let mut list_positions: Vec<Option<usize>> = Vec::new();
    let bound = match spec {
        ForValues::Default if key.strategy == 'h' => {
            return Err(PgError::new(
                SqlState::InvalidTableDefinition,
                "a hash-partitioned table may not have a default partition",
            ));
        }
        ForValues::Default => Bound::Default,
        ForValues::With { modulus, remainder } => {
            if key.strategy != 'h' {
                return Err(invalid());
            }
            let modulus = i32::try_from(*modulus).unwrap_or(i32::MAX);
            let remainder = i32::try_from(*remainder).unwrap_or(i32::MAX);
            if modulus <= 0 {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    "modulus for hash partition must be an integer value greater than zero",
                ));
            }
            if remainder >= modulus {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    "remainder for hash partition must be less than modulus",
                ));
            }
            // Every modulus must divide the next larger one.
            let others = partition_bounds(session, parent, &key)?;
            for (other, b) in &others {
                let Bound::Hash { modulus: m, .. } = b else {
                    continue;
                };
                let fits = if *m <= modulus {
                    modulus % m == 0
                } else {
                    m % modulus == 0
                };
                if !fits {
                    let detail = if *m > modulus {
                        format!(
                            "The new modulus {modulus} is not a factor of {m}, the modulus of existing partition \"{other}\"."
                        )
                    } else {
                        format!(
                            "The new modulus {modulus} is not divisible by {m}, the modulus of existing partition \"{other}\"."
                        )
                    };
                    return Err(PgError::new(
                        SqlState::InvalidObjectDefinition,
                        "every hash partition modulus must be a factor of the next larger modulus",
                    )
                    .with_detail(detail));
                }
            }
            Bound::Hash { modulus, remainder }
        }
        ForValues::In(values) => {
            if key.strategy != 'l' {
                return Err(invalid());
            }
            let (col, t) = key.columns[0].clone();
            let mut out: Vec<Datum> = Vec::new();
            for v in values {
                let at = crate::syntax::position(sql, sqlparser::ast::Spanned::span(v));
                let d = match v {
                    sqlparser::ast::Expr::Value(x)
                        if matches!(x.value, sqlparser::ast::Value::Null) =>
                    {
                        Datum::Null
                    }
                    _ => bound_datum(session, v, t, &col)?,
                };
                // Duplicates are dropped, as PostgreSQL does.
                let mut dup = false;
                for o in &out {
                    dup |= match (o.is_null(), d.is_null()) {
                        (true, true) => true,
                        (false, false) => types::compare::compare(o, &d)? == Ordering::Equal,
                        _ => false,
                    };
                }
                if !dup {
                    out.push(d);
                    list_positions.push(at);
                }
            }
            Bound::List(out)
        }
        ForValues::From { from, to } => {
            if key.strategy != 'r' {
                return Err(invalid());
            }
            let mut sides = Vec::new();
            for (side, values) in [("FROM", from), ("TO", to)] {
                if values.len() != key.columns.len() {
                    return Err(PgError::new(
                        SqlState::InvalidTableDefinition,
                        format!("{side} must specify exactly one value per partitioning column"),
                    ));
                }
                let mut out = Vec::new();
                for (v, (col, t)) in values.iter().zip(&key.columns) {
                    out.push(match v {
                        PartitionBoundValue::MinValue => BoundValue::MinValue,
                        PartitionBoundValue::MaxValue => BoundValue::MaxValue,
                        PartitionBoundValue::Expr(sqlparser::ast::Expr::Value(x))
                            if matches!(x.value, sqlparser::ast::Value::Null) =>
                        {
                            return Err(PgError::new(
                                SqlState::InvalidTableDefinition,
                                "cannot specify NULL in range bound",
                            ));
                        }
                        PartitionBoundValue::Expr(e) => {
                            BoundValue::Value(bound_datum(session, e, *t, col)?)
                        }
                    });
                }
                // After MINVALUE or MAXVALUE every value must be the same.
                let mut after: Option<&BoundValue> = None;
                for v in &out {
                    match (after, v) {
                        (None, BoundValue::MinValue | BoundValue::MaxValue) => after = Some(v),
                        (Some(a), v) if a != v => {
                            let which = if matches!(a, BoundValue::MinValue) {
                                "MINVALUE"
                            } else {
                                "MAXVALUE"
                            };
                            return Err(PgError::new(
                                SqlState::InvalidTableDefinition,
                                format!("every bound following {which} must also be {which}"),
                            ));
                        }
                        _ => {}
                    }
                }
                sides.push(out);
            }
            let to = sides.pop().unwrap_or_default();
            let from = sides.pop().unwrap_or_default();
            if compare_range(&from, &to)? != Ordering::Less {
                let b = Bound::Range {
                    from: from.clone(),
                    to: to.clone(),
                };
                let text = b.to_sql(&key);
                let (lo, hi) = text
                    .trim_start_matches("FOR VALUES FROM ")
                    .split_once(" TO ")
                    .unwrap_or(("", ""));
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    format!("empty range bound specified for partition \"{name}\""),
                )
                .with_detail(format!(
                    "Specified lower bound {lo} is greater than or equal to upper bound {hi}."
                ))
                .or_position(positions.from));
            }
            Bound::Range { from, to }
        }
    };
    for (other, b) in partition_bounds(session, parent, &key)? {
        if overlaps(&bound, &b)? {
            // Where PostgreSQL points: the first value found in the other
            // partition, the lower bound when it falls inside it, or the
            // DEFAULT keyword.
            let at = match (&bound, &b) {
                (Bound::Default, _) => positions.default,
                (Bound::List(mine), Bound::List(theirs)) => {
                    let mut at = None;
                    for (i, v) in mine.iter().enumerate() {
                        if overlaps(&Bound::List(vec![v.clone()]), &Bound::List(theirs.clone()))? {
                            at = list_positions.get(i).copied().flatten();
                            break;
                        }
                    }
                    at
                }
                (Bound::Range { from, .. }, Bound::Range { from: f2, to: t2 }) => {
                    if compare_range(from, f2)? != Ordering::Less
                        && compare_range(from, t2)? == Ordering::Less
                    {
                        positions.from
                    } else {
                        positions.to
                    }
                }
                _ => None,
            };
            return Err(if matches!(b, Bound::Default) {
                PgError::new(
                    SqlState::InvalidObjectDefinition,
                    format!(
                        "partition \"{name}\" conflicts with existing default partition \"{other}\""
                    ),
                )
            } else {
                PgError::new(
                    SqlState::InvalidObjectDefinition,
                    format!("partition \"{name}\" would overlap partition \"{other}\""),
                )
            }
            .or_position(at));
        }
    }
    if check_default {
        check_default_rows(session, parent, &key, &bound)?;
    }
    Ok(bound.to_sql(&key))
}

/// The default partition of `parent` must not hold rows that `bound` (a
/// new partition's) takes.
pub(crate) fn check_default_rows(
    session: &mut Session,
    parent: &RelationInfo,
    key: &Key,
    bound: &Bound,
) -> PgResult<()> {
    // The default partition must not hold rows the new one takes.
    if !matches!(bound, Bound::Default)
        && let Some((default_name, _)) = partition_bounds(session, parent, key)?
            .into_iter()
            .find(|(_, b)| matches!(b, Bound::Default))
        && let Some(own) = bound.constraint_sql(key, &[])
    {
        let default = relcache::lookup_relation(session, Some(&parent.namespace), &default_name)?;
        if let Some(d) = default {
            let n = count_rows(
                session,
                &format!("SELECT count(*) FROM {} WHERE {own}", qualified(&d)),
            )?;
            if n > 0 {
                return Err(PgError::new(
                    SqlState::CheckViolation,
                    format!(
                        "updated partition constraint for default partition \"{}\" would be violated by some row",
                        d.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Where the values of a statement's partition bound are (1-based
/// character positions, for errors): the first of FROM (...), of TO (...),
/// and the DEFAULT keyword.
struct BoundPositions {
    from: Option<usize>,
    to: Option<usize>,
    default: Option<usize>,
}

impl BoundPositions {
    fn find(sql: &str) -> BoundPositions {
        let lower = sql.to_ascii_lowercase();
        let char_pos = |byte: usize| Some(sql[..byte].chars().count() + 1);
        let first_value = |from: usize| -> Option<usize> {
            let open = from + lower[from..].find('(')?;
            let skip = lower[open + 1..].len() - lower[open + 1..].trim_start().len();
            char_pos(open + 1 + skip)
        };
        let Some(clause) = lower.rfind("for values") else {
            return BoundPositions {
                from: None,
                to: None,
                default: lower.rfind("default").and_then(char_pos),
            };
        };
        let from_kw = lower[clause..].find("from").map(|i| clause + i);
        let to_kw = from_kw.and_then(|f| {
            let close = f + lower[f..].find(')')?;
            lower[close..].find("to").map(|i| close + i)
        });
        BoundPositions {
            from: from_kw.and_then(first_value),
            to: to_kw.and_then(first_value),
            default: None,
        }
    }
}

/// `PARTITION BY RANGE | LIST (key, ...)` of CREATE TABLE: the key's row
/// for `pg_partitioned_table`, over the new table's `columns`.
/// 42P17 for a generated column in a partition key.
fn generated_in_key(column: &str) -> PgError {
    PgError::new(
        SqlState::InvalidObjectDefinition,
        "cannot use generated column in partition key",
    )
    .with_detail(format!("Column \"{column}\" is a generated column."))
}

pub(crate) fn key_spec(
    spec: &sqlparser::ast::Expr,
    columns: &[catalog::heap_catalog::NewColumn],
    table: Option<&str>,
) -> PgResult<(char, Vec<i16>, Vec<String>)> {
    use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments};
    let bad = || PgError::syntax(format!("syntax error at or near \"{spec}\""), None);
    let Expr::Function(f) = spec else {
        return Err(bad());
    };
    let strategy = match f.name.to_string().to_lowercase().as_str() {
        "range" => 'r',
        "list" => 'l',
        "hash" => 'h',
        other => {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("unrecognized partitioning strategy \"{other}\""),
            ));
        }
    };
    let FunctionArguments::List(list) = &f.args else {
        return Err(bad());
    };
    if strategy == 'l' && list.args.len() > 1 {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            "cannot use \"list\" partition strategy with more than one column",
        ));
    }
    let (mut attrs, mut exprs) = (Vec::new(), Vec::new());
    for a in &list.args {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = a else {
            return Err(bad());
        };
        // No generated column in a key expression, nor the whole row that
        // holds one (PostgreSQL's ComputePartitionAttrs).
        if !matches!(e, Expr::Identifier(_)) {
            let mut found = None;
            let _ = sqlparser::ast::visit_expressions(e, |x| {
                if let Expr::Identifier(id) = x {
                    let name = ident(id);
                    let generated = columns.iter().find(|c| c.generated != '\0');
                    match columns.iter().find(|c| c.name == name) {
                        Some(c) if c.generated != '\0' => found = Some(name),
                        None if generated.is_some() && table.is_some_and(|t| t == name) => {
                            found = generated.map(|c| c.name.clone())
                        }
                        _ => {}
                    }
                }
                match found {
                    Some(_) => std::ops::ControlFlow::Break(()),
                    None => std::ops::ControlFlow::Continue(()),
                }
            });
            if let Some(name) = found {
                return Err(generated_in_key(&name));
            }
        }
        match e {
            Expr::Identifier(id) => {
                let name = ident(id);
                let Some(i) = columns.iter().position(|c| c.name == name) else {
                    return Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!("column \"{name}\" named in partition key does not exist"),
                    ));
                };
                if columns[i].generated != '\0' {
                    return Err(generated_in_key(&name));
                }
                attrs.push(i as i16 + 1);
            }
            Expr::Nested(inner) => {
                attrs.push(0);
                exprs.push(inner.to_string());
            }
            other => {
                attrs.push(0);
                exprs.push(other.to_string());
            }
        }
    }
    Ok((strategy, attrs, exprs))
}

/// The partition constraint of partition `info` as SQL (its bound's, and
/// its ancestors'), or None if it constrains nothing.
pub(crate) fn partition_check_sql(
    session: &mut Session,
    info: &RelationInfo,
    depth: usize,
) -> PgResult<Option<String>> {
    if info.partition_parent == 0 || depth > MAX_INHERITANCE_DEPTH {
        return Ok(None);
    }
    let Some(parent) = relcache::relation_by_oid(session, info.partition_parent)? else {
        return Ok(None);
    };
    let Some(key) = key_of(session, &parent)? else {
        return Ok(None);
    };
    let Some(text) = &info.partbound else {
        return Ok(None);
    };
    let own = Bound::parse(text, &key)?;
    let siblings: Vec<Bound> = if matches!(own, Bound::Default) {
        partition_bounds(session, &parent, &key)?
            .into_iter()
            .map(|(_, b)| b)
            .collect()
    } else {
        Vec::new()
    };
    // The ancestors' constraints first, as PostgreSQL lists them.
    let mut parts: Vec<String> = partition_check_sql(session, &parent, depth + 1)?
        .into_iter()
        .collect();
    parts.extend(own.constraint_sql(&key, &siblings));
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(parts.join(" AND ")),
    })
}

/// Fills in what the planner needs to know of a relation's inheritance:
/// its children (described in turn, partitions in bound order), a
/// partitioned table's routing and a partition's constraint.
pub(crate) fn describe(
    session: &mut Session,
    info: &RelationInfo,
    desc: &mut planner::RelationDesc,
    depth: usize,
) -> PgResult<()> {
    if depth > MAX_INHERITANCE_DEPTH {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            format!("inheritance of \"{}\" nests too deeply", info.name),
        ));
    }
    if let Some(sql) = partition_check_sql(session, info, 0)? {
        let me = Arc::new(crate::table_access::relation_desc(info));
        desc.partition_check = Some(Arc::new(planner::analyze_check_expression(me, &sql)?));
    }
    // (A partitioned table without partitions still routes: nowhere.)
    if info.children.is_empty() && info.kind != 'p' {
        return Ok(());
    }
    let key = key_of(session, info)?;
    let mut kids: Vec<(Option<Bound>, Arc<planner::RelationDesc>)> = Vec::new();
    for &c in &info.children {
        let Some(child) = relcache::relation_by_oid(session, c)? else {
            continue;
        };
        let mut d = crate::table_access::relation_desc_for(session, &child)?;
        describe(session, &child, &mut d, depth + 1)?;
        let bound = match (&key, &child.partbound) {
            (Some(k), Some(text)) => Some(Bound::parse(text, k)?),
            _ => None,
        };
        kids.push((bound, Arc::new(d)));
    }
    if let Some(key) = key {
        kids.sort_by(|a, b| match (&a.0, &b.0) {
            (Some(x), Some(y)) => bound_order(x, y),
            _ => Ordering::Equal,
        });
        let me = Arc::new(crate::table_access::relation_desc(info));
        let mut routes = Vec::with_capacity(kids.len());
        for (b, _) in &kids {
            routes.push(match b {
                None | Some(Bound::Default) => None,
                Some(b) => match b.constraint_sql(&key, &[]) {
                    Some(sql) => Some(planner::analyze_check_expression(me.clone(), &sql)?),
                    None => Some(planner::Expr::Const {
                        value: Datum::Bool(true),
                        type_oid: types::oid::BOOL,
                    }),
                },
            });
        }
        let mut key_exprs = Vec::with_capacity(key.columns.len());
        for (text, _) in &key.columns {
            let catalog = crate::table_access::SessionCatalog::new(session);
            key_exprs.push(planner::analyze_stored_expression(
                me.clone(),
                text,
                None,
                &catalog,
            )?);
        }
        // Messages show an expression as PostgreSQL prints it.
        let mut key_names = Vec::with_capacity(key.columns.len());
        let mut exprs = info.partition_key.iter().flat_map(|k| k.exprs.iter());
        for (text, _) in &key.columns {
            key_names.push(if text.starts_with('(') {
                let raw = exprs.next().cloned().unwrap_or_default();
                crate::describe::expression(session, &raw, info.oid, false)?.unwrap_or(raw)
            } else {
                text.clone()
            });
        }
        desc.partitioning = Some(Arc::new(planner::Partitioning {
            key_names,
            key: key_exprs,
            routes,
        }));
    }
    desc.children = kids.into_iter().map(|(_, d)| d).collect();
    Ok(())
}

/// Runs a `SELECT count(*) ...` of the command's own making.
pub(crate) fn count_rows(session: &mut Session, sql: &str) -> PgResult<i64> {
    let mut stmts = crate::syntax::parse(sql)?;
    let Some(stmt) = stmts.pop() else {
        return Err(PgError::internal("a count did not parse"));
    };
    match crate::tcop::run_statement(session, &stmt, sql, None, &[])? {
        crate::utility::Outcome::Rows { rows, .. } => match rows.first().and_then(|r| r.first()) {
            Some(Datum::Int8(n)) => Ok(*n),
            _ => Ok(0),
        },
        _ => Ok(0),
    }
}

pub(crate) fn qualified(info: &RelationInfo) -> String {
    format!(
        "{}.{}",
        types::guc::quote_identifier(&info.namespace),
        types::guc::quote_identifier(&info.name)
    )
}
