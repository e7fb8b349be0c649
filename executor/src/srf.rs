//! Set-returning functions: in FROM ([`scan`]) and in the select list
//! ([`project_set`], PostgreSQL's ProjectSet node). Each implementation
//! returns all its rows at once; they are strict (a NULL argument gives no
//! rows).

use planner::plan::{FunctionScan, ProjectSet, SetFunction};
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult};

use crate::expr::Evaluator;

/// The rows of a set-returning function in FROM.
pub fn scan(ev: &mut Evaluator<'_>, scan: &FunctionScan) -> PgResult<Vec<Vec<Datum>>> {
    let args = scan
        .func
        .args
        .iter()
        .map(|a| ev.eval(a))
        .collect::<PgResult<Vec<_>>>()?;
    if let Some(rows) =
        crate::functions::json::record_rows(scan.func.func, &args, &scan.types, &ev.opts)?
    {
        return Ok(rows);
    }
    rows(ev, &scan.func, args, usize::MAX)
}

/// Each row repeated as often as the longest result of the functions
/// over it, their values (or NULL, once one has run out) appended; no
/// more than `cap` rows in all (a LIMIT above: a series without end stops).
pub fn project_set(
    ev: &mut Evaluator<'_>,
    p: &ProjectSet,
    input: Vec<Vec<Datum>>,
    cap: usize,
) -> PgResult<Vec<Vec<Datum>>> {
    let mut out = Vec::new();
    for mut row in input {
        ev.ctx.check_for_interrupts()?;
        let room = cap - out.len().min(cap);
        if room == 0 {
            break;
        }
        row.truncate(p.input_width);
        let mut results = Vec::with_capacity(p.funcs.len());
        for f in &p.funcs {
            let args = f
                .args
                .iter()
                .map(|a| ev.eval_row(a, &row))
                .collect::<PgResult<Vec<_>>>()?;
            let values: Vec<Datum> = rows(ev, f, args, room)?
                .into_iter()
                .map(|r| one_value(r, f, &ev.opts))
                .collect();
            results.push(values);
        }
        let n = results.iter().map(Vec::len).max().unwrap_or(0).min(room);
        for i in 0..n {
            let mut r = row.clone();
            r.extend(
                results
                    .iter()
                    .map(|v| v.get(i).cloned().unwrap_or(Datum::Null)),
            );
            out.push(r);
        }
    }
    Ok(out)
}

/// A row of a function's result as one select-list value: its one
/// column, or the columns as a record (with the OUT columns' names when
/// the planner registered them, so that `(f(...)).name` reads a field).
fn one_value(mut row: Vec<Datum>, f: &SetFunction, opts: &OutputOptions) -> Datum {
    if row.len() == 1 {
        return row.pop().unwrap_or(Datum::Null);
    }
    let named = f
        .user
        .as_ref()
        .filter(|u| u.record_typmod >= 0)
        .and_then(|u| types::typcache::record_fields(u.record_typmod))
        .filter(|fields| fields.len() == row.len());
    if let Some(fields) = named {
        return Datum::Record(Box::new(types::datum::RecordValue {
            type_oid: types::oid::RECORD,
            fields,
            values: row,
        }));
    }
    Datum::Text(record_text(&row, opts))
}

/// A record's text form, `(a,"b c",)`: a field is quoted when it is empty
/// or holds a quote, backslash, parenthesis, comma or white space (quotes
/// and backslashes doubled inside); NULL is nothing.
pub fn record_text(values: &[Datum], opts: &OutputOptions) -> String {
    let mut s = String::from("(");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        if v.is_null() {
            continue;
        }
        let t = v.to_text(opts);
        let quote = t.is_empty()
            || t.chars()
                .any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_whitespace());
        if quote {
            s.push('"');
            for c in t.chars() {
                if c == '"' || c == '\\' {
                    s.push(c);
                }
                s.push(c);
            }
            s.push('"');
        } else {
            s.push_str(&t);
        }
    }
    s.push(')');
    s
}

/// The rows of a call with evaluated arguments (the first `limit` of them).
fn rows(
    ev: &mut Evaluator<'_>,
    f: &SetFunction,
    args: Vec<Datum>,
    limit: usize,
) -> PgResult<Vec<Vec<Datum>>> {
    if let Some(user) = &f.user {
        if user.strict && args.iter().any(Datum::is_null) {
            // A strict function's NULL result: no rows from a set, else
            // one row of NULLs.
            return Ok(match user.retset {
                true => Vec::new(),
                false => vec![vec![Datum::Null; user.width]],
            });
        }
        let types = crate::CallTypes {
            args: user.arg_types.clone(),
            ret: user.ret_type,
        };
        let mut rows = ev
            .ctx
            .call_set_function(user.oid, args, &types, user.width)?;
        rows.truncate(limit);
        return Ok(rows);
    }
    if f.func == "string_to_table" {
        // Not strict: a NULL delimiter splits into characters.
        let Some(Datum::Array(a)) = crate::functions::array::call(
            "string_to_array",
            &args,
            types::oid::TEXT_ARRAY,
            &ev.opts,
        )?
        else {
            return Ok(Vec::new());
        };
        return Ok(a.elems.into_iter().take(limit).map(|v| vec![v]).collect());
    }
    // json[b]_populate_recordset in the select list: each row as one
    // value of the base's composite type (a NULL base is fine).
    if matches!(
        f.func,
        "json_populate_recordset" | "jsonb_populate_recordset"
    ) {
        let fields = match (types::datum::record::fields_of(f.type_oid), args.get(2)) {
            (Some(fields), _) => fields,
            (None, Some(Datum::Record(r))) => r.fields.clone(),
            _ => {
                return Err(PgError::internal(
                    "populate_recordset of a non-composite type",
                ));
            }
        };
        let types: Vec<u32> = fields.iter().map(|x| x.type_oid).collect();
        let rows = crate::functions::json::record_rows(f.func, &args, &types, &ev.opts)?
            .unwrap_or_default();
        return Ok(rows
            .into_iter()
            .map(|values| {
                vec![Datum::Record(Box::new(types::datum::RecordValue {
                    type_oid: f.type_oid,
                    fields: fields.clone(),
                    values,
                }))]
            })
            .collect());
    }
    if args.iter().any(Datum::is_null) {
        return Ok(Vec::new());
    }
    let single = |values: Vec<Datum>| values.into_iter().map(|v| vec![v]).collect();
    if let Some(values) = crate::functions::regex::rows(f.func, &args)? {
        return Ok(values.into_iter().take(limit).map(|v| vec![v]).collect());
    }
    match f.func {
        "generate_series" => {
            let mut it = args.into_iter();
            let (Some(start), Some(stop)) = (it.next(), it.next()) else {
                return Err(PgError::internal("generate_series without its arguments"));
            };
            let step = it.next().unwrap_or(Datum::Int4(1));
            let values = crate::query::series_of(start, stop, step, f.type_oid, &ev.opts)?
                .take(limit)
                .collect::<PgResult<Vec<_>>>()?;
            Ok(single(values))
        }
        "generate_series_ts" => timestamp_series(ev, args, limit).map(single),
        "snapshot_xip" => match args.first() {
            Some(Datum::Snapshot(s)) => Ok(single(
                crate::functions::xid::xip(s, f.type_oid)
                    .into_iter()
                    .take(limit)
                    .collect(),
            )),
            _ => Ok(Vec::new()),
        },
        "pg_listening_channels" => Ok(single(
            ev.ctx
                .listening_channels()
                .into_iter()
                .take(limit)
                .map(Datum::Text)
                .collect(),
        )),
        "pg_partition_ancestors" => {
            let Some(Datum::Text(name)) = args.first() else {
                return Ok(Vec::new());
            };
            let oid = ev.ctx.regclass_oid(name)?;
            let mut out = Vec::new();
            for a in ev.ctx.partition_ancestors(oid)? {
                out.push(vec![Datum::Text(ev.ctx.regclass_of(a)?)]);
            }
            Ok(out)
        }
        "pg_partition_tree" => {
            let Some(Datum::Text(name)) = args.first() else {
                return Ok(Vec::new());
            };
            let oid = ev.ctx.regclass_oid(name)?;
            let mut out = Vec::new();
            for (rel, parent, leaf, level) in ev.ctx.partition_tree(oid)? {
                out.push(vec![
                    Datum::Text(ev.ctx.regclass_of(rel)?),
                    if parent == 0 {
                        Datum::Null
                    } else {
                        Datum::Text(ev.ctx.regclass_of(parent)?)
                    },
                    Datum::Bool(leaf),
                    Datum::Int4(level),
                ]);
            }
            Ok(out)
        }
        "tsvector_unnest" => match args.into_iter().next() {
            Some(Datum::TsVector(v)) => Ok(crate::functions::tsearch::unnest_rows(&v)
                .into_iter()
                .take(limit)
                .collect()),
            _ => Ok(Vec::new()),
        },
        "multirange_unnest" => match args.into_iter().next() {
            Some(Datum::Multirange(m)) => Ok(m
                .ranges
                .into_iter()
                .take(limit)
                .map(|r| vec![Datum::Range(Box::new(r))])
                .collect()),
            _ => Err(PgError::internal("unnest of a non-multirange")),
        },
        "pg_options_to_table" => match args.into_iter().next() {
            Some(Datum::Array(a)) => Ok(a
                .elems
                .into_iter()
                .take(limit)
                .filter_map(|e| match e {
                    Datum::Text(item) => Some(match item.split_once('=') {
                        Some((name, value)) => {
                            vec![Datum::Text(name.into()), Datum::Text(value.into())]
                        }
                        None => vec![Datum::Text(item), Datum::Null],
                    }),
                    _ => None,
                })
                .collect()),
            _ => Ok(Vec::new()),
        },
        "unnest" => match args.into_iter().next() {
            Some(Datum::Array(a)) => Ok(single(a.elems.into_iter().take(limit).collect())),
            _ => Err(PgError::internal("unnest of a non-array")),
        },
        "jsonb_path_query" | "jsonb_path_query_tz" => {
            let mut rows =
                crate::functions::jsonpath::query(f.func, &args, &ev.opts)?.unwrap_or_default();
            rows.truncate(limit);
            Ok(rows)
        }
        other => match crate::functions::json::set_function(other, &args, &ev.opts)? {
            Some(mut rows) => {
                rows.truncate(limit);
                Ok(rows)
            }
            None => Err(PgError::internal(format!(
                "no set-returning function {other}"
            ))),
        },
    }
}

/// `generate_series(timestamp[tz], timestamp[tz], interval)`.
fn timestamp_series(
    ev: &mut Evaluator<'_>,
    args: Vec<Datum>,
    limit: usize,
) -> PgResult<Vec<Datum>> {
    let [start, stop, step] =
        <[Datum; 3]>::try_from(args).map_err(|_| PgError::internal("generate_series arguments"))?;
    let zero = Datum::Interval(types::datum::Interval::default());
    let up = match types::compare::compare(&step, &zero)? {
        std::cmp::Ordering::Equal => {
            return Err(PgError::new(
                types::SqlState::InvalidParameterValue,
                "step size cannot equal zero",
            ));
        }
        o => o == std::cmp::Ordering::Greater,
    };
    let t = match &start {
        Datum::Timestamptz(_) => types::oid::TIMESTAMPTZ,
        _ => types::oid::TIMESTAMP,
    };
    let types_ = [t, types::oid::INTERVAL];
    let mut out = Vec::new();
    let mut cur = start;
    while out.len() < limit {
        let past = match types::compare::compare(&cur, &stop)? {
            std::cmp::Ordering::Greater => up,
            std::cmp::Ordering::Less => !up,
            std::cmp::Ordering::Equal => false,
        };
        if past {
            break;
        }
        ev.ctx.check_for_interrupts()?;
        let next = crate::functions::call(
            "ts_pl_interval",
            &[cur.clone(), step.clone()],
            &types_,
            t,
            ev,
        )?;
        out.push(cur);
        cur = next;
    }
    Ok(out)
}
