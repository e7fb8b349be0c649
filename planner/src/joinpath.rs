//! Planning joins (a rule, until there are statistics and costs).
//!
//! 1. Each AND-ed part of WHERE goes as deep into the join tree as the
//!    rows it reads allow: into the input whose columns it reads alone
//!    (an input's `filter`, evaluated before the join), else into the
//!    condition of the lowest inner join that has all its columns. A part
//!    stays above an outer join whose NULL-padded side it reads (it must
//!    see the padded rows), as in PostgreSQL's `distribute_qual_to_rels`.
//! 2. A part of ON that reads only the side whose rows are NULL-padded
//!    (the right of LEFT JOIN) filters that side first; one that reads
//!    only the kept side stays in the condition (it decides matches, it
//!    does not remove rows).
//! 3. Equalities between an expression of the left row and one of the
//!    same type of the right row become hash keys; the rest of the
//!    condition is checked on each pair the keys match. FULL JOIN needs
//!    such a key when its condition reads columns (PostgreSQL's 0A000).
//! 4. An input that is a table gets an index scan or a bitmap for its
//!    filter as a single-table query would (`indexpath`).
//! 5. When the hash keys fix the leading key columns of an index of the
//!    right input's table (INNER or LEFT JOIN), the executor may look the
//!    right rows up by that index for each left row instead of hashing
//!    the whole right side: it does when the left side turns out small.
//! 6. With statistics, the side to hash is the one PostgreSQL's costs pick.
//! 7. Once the columns read are known, the right input may drive a nested
//!    loop over an index of the left table instead (`Join::probe_left`),
//!    when that costs less: the two-input join order choice.
//!
//! Semi and anti joins (from `subselect.rs`) go the same way: conditions
//! over the right row filter it; over the left row, they filter it only in
//! a semi join.

use std::collections::BTreeSet;
use std::sync::Arc;

use types::{PgError, PgResult, SqlState};

use crate::expr::Expr;
use crate::plan::{Join, JoinInput, JoinKind, ParamIndexScan, Plan, Source};
use crate::selfuncs;

/// Plans the joins of a query: the parts of WHERE that go into the joins
/// leave `plan.filter`, and each table input decodes only the columns up
/// to the last one something reads.
pub fn plan(plan: &mut Plan) -> PgResult<()> {
    let Source::Join(join) = &mut plan.source else {
        return Ok(());
    };
    let mut rest = Vec::new();
    for c in plan.filter.take().map(conjuncts).unwrap_or_default() {
        if let Err(c) = push_filter(join, c) {
            rest.push(c);
        }
    }
    plan.filter = and(rest);
    settle(join)?;
    let mut read = BTreeSet::new();
    for e in plan.source_reads().chain(plan.set_function_reads()) {
        note_vars(e, 0, &mut read);
    }
    let index_only = plan.row_lock.is_none();
    if let Source::Join(join) = &mut plan.source {
        set_columns(join, read, index_only);
    }
    Ok(())
}

/// Adds the `Var` indexes `e` reads, moved by `start`, to `out`.
fn note_vars(e: &Expr, start: usize, out: &mut BTreeSet<usize>) {
    e.walk(&mut |x| {
        if let Expr::Var { index, .. } = x {
            out.insert(start + index);
        }
    });
}

/// Gives each input below `j` the number of leading columns to decode:
/// `read` holds the columns of the join's row read above it. An index
/// scan that finds every column read in its index becomes index-only
/// (unless rows are locked: `index_only` false).
fn set_columns(j: &mut Join, mut read: BTreeSet<usize>, index_only: bool) {
    if let Some(output) = &j.output {
        read = read
            .iter()
            .map(|&c| output.get(c).copied().unwrap_or(c))
            .collect();
    }
    let lw = j.left.width;
    for (l, r) in &j.hash_keys {
        note_vars(l, 0, &mut read);
        note_vars(r, lw, &mut read);
    }
    if let Some(q) = &j.qual {
        note_vars(q, 0, &mut read);
    }
    // Now that the columns read of each side are known (an index-only
    // scan may serve them, which costs less): whether the left rows
    // should look the right ones up by index after all, or the right rows
    // drive.
    let s = crate::settings::current();
    if j.inner_index.is_none()
        && index_only
        && s.enable_nestloop
        && s.enable_indexonlyscan
        && let Some(mut p) = inner_index(j)
    {
        let mut right_read: BTreeSet<usize> = read.range(lw..).map(|v| v - lw).collect();
        if let Some(f) = &j.right.filter {
            note_vars(f, 0, &mut right_read);
        }
        p.index_only = covers(&p.rel, p.index_oid, &right_read);
        if p.index_only && nested_loop_pays(j, &p) {
            j.inner_index = Some(chosen_by_cost(j, p));
            j.hash_left = false;
        }
    }
    let mut left_read: BTreeSet<usize> = read.range(..lw).copied().collect();
    if let Some(f) = &j.left.filter {
        note_vars(f, 0, &mut left_read);
    }
    // (Rows to lock come through the plan as analysis made it.)
    if let Some(probe) = probe_left(j, &left_read, index_only).filter(|_| index_only) {
        j.probe_left = Some(probe);
        j.inner_index = None;
        j.hash_left = false;
    }
    if let Some(p) = &j.inner_index {
        p.keys.iter().for_each(|k| note_vars(k, 0, &mut read));
    }
    if let Some(p) = &j.probe_left {
        p.keys.iter().for_each(|k| note_vars(k, lw, &mut read));
    }
    for p in j.right.source.lateral_params() {
        note_vars(p, 0, &mut read);
    }
    let right: BTreeSet<usize> = read.split_off(&lw).into_iter().map(|v| v - lw).collect();
    let probes = [j.probe_left.as_mut(), j.inner_index.as_mut()];
    for ((input, mut read), probe) in [(&mut j.left, read), (&mut j.right, right)]
        .into_iter()
        .zip(probes)
    {
        if let Some(f) = &input.filter {
            note_vars(f, 0, &mut read);
        }
        // A nested loop's inner index scan that finds every column read
        // in the index reads only the index.
        let only = index_only && s.enable_indexonlyscan;
        if let Some(p) = probe {
            p.index_only = only && covers(&p.rel, p.index_oid, &read);
        }
        if let Source::IndexScan(rel, scan) = &mut input.source {
            scan.index_only = only && covers(rel, scan.index_oid, &read);
        }
        match &mut input.source {
            Source::Join(inner) => set_columns(inner, read, index_only),
            _ => input.columns = read.last().map_or(0, |m| m + 1),
        }
    }
}

fn conjuncts(e: Expr) -> Vec<Expr> {
    match e {
        Expr::And(parts) => parts.into_iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

fn and(mut parts: Vec<Expr>) -> Option<Expr> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Expr::And(parts)),
    }
}

fn add(to: &mut Option<Expr>, c: Expr) {
    let mut parts = to.take().map(conjuncts).unwrap_or_default();
    parts.push(c);
    *to = and(parts);
}

/// Puts a condition on the join's output rows as deep as it can go;
/// gives it back if it must stay above the join.
fn push_filter(j: &mut Join, c: Expr) -> Result<(), Expr> {
    // A reordered tree: the condition reads the row as written.
    let Some(output) = j.output.clone() else {
        return push_filter_here(j, c);
    };
    push_filter_here(j, crate::joinorder::remap(c, &output))
        .map_err(|c| crate::joinorder::remap(c, &crate::joinorder::inverse(&output)))
}

fn push_filter_here(j: &mut Join, c: Expr) -> Result<(), Expr> {
    let lw = j.left.width;
    match c.var_span() {
        Some((_, hi))
            if hi < lw
                && matches!(
                    j.kind,
                    JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti
                ) =>
        {
            push_input(&mut j.left, c);
            Ok(())
        }
        Some((lo, _)) if lo >= lw && matches!(j.kind, JoinKind::Inner | JoinKind::Right) => {
            push_input(&mut j.right, c.shift_vars(-(lw as isize)));
            Ok(())
        }
        _ if j.kind == JoinKind::Inner => {
            add(&mut j.qual, c);
            Ok(())
        }
        _ => Err(c),
    }
}

/// A condition on an input's rows: into the join it is, if it can go
/// there, else the input's filter.
fn push_input(input: &mut JoinInput, c: Expr) {
    if let Source::Join(j) = &mut input.source {
        if let Err(c) = push_filter(j, c) {
            add(&mut input.filter, c);
        }
        return;
    }
    add(&mut input.filter, c);
}

/// Plans one join and those below it (steps 2 to 5 of the module doc).
fn settle(j: &mut Join) -> PgResult<()> {
    let lw = j.left.width;
    let mut keep = Vec::new();
    for c in j.qual.take().map(conjuncts).unwrap_or_default() {
        match (c.var_span(), j.kind) {
            // A semi join's condition on the left row alone removes the
            // rows it fails as a filter would; an anti join's keeps them.
            (Some((_, hi)), JoinKind::Inner | JoinKind::Right | JoinKind::Semi) if hi < lw => {
                push_input(&mut j.left, c)
            }
            (Some((lo, _)), JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti)
                if lo >= lw =>
            {
                push_input(&mut j.right, c.shift_vars(-(lw as isize)))
            }
            _ => keep.push(c),
        }
    }
    let mut quals = Vec::new();
    // A LATERAL right side runs per left row: nothing to hash.
    let lateral = !j.right.source.lateral_params().is_empty();
    for c in keep {
        if matches!(
            c,
            Expr::Const {
                value: types::Datum::Bool(true),
                ..
            }
        ) {
            continue;
        }
        match hash_key(&c, lw).filter(|_| !lateral) {
            Some(k) => j.hash_keys.push(k),
            None => quals.push(c),
        }
    }
    j.qual = and(quals);
    // Constant parts (`ON true`, `ON false`) ask nothing of the method.
    if j.kind == JoinKind::Full
        && j.hash_keys.is_empty()
        && j.qual.as_ref().is_some_and(|q| q.var_span().is_some())
    {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions",
        ));
    }
    for input in [&mut j.left, &mut j.right] {
        crate::analyze::rowsecurity::pull_up_input(input);
        match &mut input.source {
            Source::Join(inner) => settle(inner)?,
            Source::SeqScan(rel) => {
                let rel = Arc::clone(rel);
                input.source = crate::indexpath::input_source(&rel, input.filter.as_ref());
            }
            Source::Append { .. } => {
                crate::inherit::push_filter(&mut input.source, &mut input.filter);
            }
            _ => {}
        }
    }
    let s = crate::settings::current();
    j.inner_index = inner_index(j)
        .filter(|probe| s.enable_nestloop && (!s.enable_hashjoin || nested_loop_pays(j, probe)))
        .map(|probe| chosen_by_cost(j, probe));
    j.hash_left = hash_left_side(j);
    Ok(())
}

/// The right input driving a nested loop over an index of the left
/// input's table (`Join::probe_left`), when that is allowed and costs
/// less than the way chosen so far: PostgreSQL's join order search over
/// two inputs, which puts a small filtered side outside and looks the
/// big side up by its index.
/// `left_read`: the columns of the left rows read (an index holding
/// them all is scanned index-only if `index_only`).
fn probe_left(j: &Join, left_read: &BTreeSet<usize>, index_only: bool) -> Option<ParamIndexScan> {
    let allowed = match j.kind {
        JoinKind::Inner => true,
        JoinKind::Semi => right_unique_on_keys(j),
        _ => false,
    };
    let s = crate::settings::current();
    if !allowed
        || !s.enable_nestloop
        || j.hash_keys.is_empty()
        || !j.right.source.lateral_params().is_empty()
        || !analyzed(&j.left.source)
        || !analyzed(&j.right.source)
    {
        return None;
    }
    let rel = j.left.source.relation()?;
    let pairs: Vec<(&Expr, &Expr)> = j.hash_keys.iter().map(|(l, r)| (l, r)).collect();
    let mut probe = keyed_index(rel, &pairs)?;
    probe.index_only =
        index_only && s.enable_indexonlyscan && covers(rel, probe.index_oid, left_read);
    let left_rows = selfuncs::source_rows(&j.left.source, j.left.filter.as_ref());
    let right_rows = selfuncs::source_rows(&j.right.source, j.right.filter.as_ref());
    let left_cost = crate::indexpath::scan_cost(&j.left.source, j.left.filter.as_ref())?;
    let right_cost = crate::indexpath::scan_cost(&j.right.source, j.right.filter.as_ref())?;
    let now = match &j.inner_index {
        Some(p) => left_cost + nested_loop_cost(p, j.right.filter.as_ref(), &j.left, left_rows),
        None => {
            left_cost
                + right_cost
                + (left_rows + right_rows) * selfuncs::cpu_operator_cost() * pairs.len() as f64
                + right_rows * selfuncs::cpu_tuple_cost()
                + crate::settings::PlannerSettings::penalty(s.enable_hashjoin)
        }
    };
    let probed =
        right_cost + nested_loop_cost(&probe, j.left.filter.as_ref(), &j.right, right_rows);
    (probed < now).then_some(probe)
}

/// What the inner index scans of a nested loop cost in all, `outer_rows`
/// of them. As PostgreSQL's parameterized paths, one scan's share of the
/// index pages is amortized over the rows of the table that supplies the
/// keys (the fewest when several do: `get_loop_count`), not over the
/// outer join's rows, which an inner path is costed before.
fn nested_loop_cost(
    probe: &ParamIndexScan,
    filter: Option<&Expr>,
    outer: &JoinInput,
    outer_rows: f64,
) -> f64 {
    let loops = param_loops(probe, outer, outer_rows);
    param_scan_cost(probe, filter, loops) / loops * outer_rows.max(1.0)
}

/// The loop count an inner index scan's costs are amortized over (see
/// [`nested_loop_cost`]): the rows of the table below `outer` that
/// supplies its keys, or `outer_rows`.
pub(crate) fn param_loops(probe: &ParamIndexScan, outer: &JoinInput, outer_rows: f64) -> f64 {
    let mut keyed = BTreeSet::new();
    probe.keys.iter().for_each(|k| note_vars(k, 0, &mut keyed));
    supplier_rows(&outer.source, outer.filter.as_ref(), &keyed)
        .unwrap_or(outer_rows)
        .max(1.0)
}

/// The fewest estimated rows among the tables below `source` whose
/// columns `vars` (of its row) reads; None when one is not a table.
fn supplier_rows(source: &Source, filter: Option<&Expr>, vars: &BTreeSet<usize>) -> Option<f64> {
    match source {
        Source::Join(j) => {
            let lw = j.left.width;
            let left: BTreeSet<usize> = vars.range(..lw).copied().collect();
            let right: BTreeSet<usize> = vars.range(lw..).map(|v| v - lw).collect();
            let mut fewest: Option<f64> = None;
            for (input, vars) in [(&j.left, left), (&j.right, right)] {
                if vars.is_empty() {
                    continue;
                }
                let rows = supplier_rows(&input.source, input.filter.as_ref(), &vars)?;
                fewest = Some(fewest.map_or(rows, |f| f.min(rows)));
            }
            fewest
        }
        Source::SeqScan(_) | Source::IndexScan(..) | Source::Bitmap(..) | Source::TidScan(..) => {
            Some(selfuncs::source_rows(source, filter))
        }
        _ => None,
    }
}

/// What `loops` index scans of a nested loop's inner side cost in all.
fn param_scan_cost(probe: &ParamIndexScan, filter: Option<&Expr>, loops: f64) -> f64 {
    let index_only = probe.index_only;
    let rel = &probe.rel;
    let cols: Vec<usize> = rel
        .indexes
        .iter()
        .find(|i| i.oid == probe.index_oid)
        .map_or_else(Vec::new, |i| {
            i.columns.iter().take(probe.keys.len()).copied().collect()
        });
    let quals = filter.map_or(0, |f| conjuncts(f.clone()).len());
    let sel = selfuncs::param_eq_selectivity(rel, &cols);
    selfuncs::index_scan_cost(
        rel,
        sel,
        cols.first().copied(),
        quals,
        loops.max(1.0),
        index_only,
    )
}

/// Whether index `oid` of `rel` stores every column in `read`.
fn covers(rel: &crate::catalog::RelationDesc, oid: u32, read: &BTreeSet<usize>) -> bool {
    rel.indexes
        .iter()
        .find(|i| i.oid == oid)
        .is_some_and(|i| read.iter().all(|c| i.stored.contains(c)))
}

/// Whether no two right rows have the same values of the join's keys: a
/// unique index of the right table (without a predicate) covers only
/// columns the keys compare.
pub(crate) fn right_unique_on_keys(j: &Join) -> bool {
    let Some(rel) = j.right.source.relation() else {
        return false;
    };
    let keyed: Vec<usize> = j
        .hash_keys
        .iter()
        .filter_map(|(_, r)| match r {
            Expr::Var { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    rel.indexes.iter().any(|i| {
        i.unique
            && i.predicate.is_none()
            && i.exprs.iter().all(Option::is_none)
            && i.columns.iter().all(|c| keyed.contains(c))
    })
}

/// Whether the left input is the one to hash: with statistics of the
/// tables below, when that costs less (PostgreSQL's hash join costs: the
/// smaller side, unless its keys repeat so much that each probe meets many
/// rows); a LEFT JOIN so planned hashes the kept side, its Hash Right
/// Join.
fn hash_left_side(j: &Join) -> bool {
    if j.inner_index.is_some()
        || j.hash_keys.is_empty()
        || !matches!(j.kind, JoinKind::Inner | JoinKind::Left)
        || !j.right.source.lateral_params().is_empty()
        || !analyzed(&j.left.source)
        || !analyzed(&j.right.source)
    {
        return false;
    }
    let left = selfuncs::source_rows(&j.left.source, j.left.filter.as_ref());
    let right = selfuncs::source_rows(&j.right.source, j.right.filter.as_ref());
    let lkeys: Vec<&Expr> = j.hash_keys.iter().map(|(l, _)| l).collect();
    let rkeys: Vec<&Expr> = j.hash_keys.iter().map(|(_, r)| r).collect();
    let lbucket = selfuncs::hash_bucket_fraction(&lkeys, &selfuncs::origins(&j.left.source), left);
    let rbucket =
        selfuncs::hash_bucket_fraction(&rkeys, &selfuncs::origins(&j.right.source), right);
    selfuncs::hash_join_cost(left, right, lbucket) < selfuncs::hash_join_cost(right, left, rbucket)
}

/// Whether every table a source reads has statistics.
fn analyzed(source: &Source) -> bool {
    match source {
        Source::SeqScan(rel)
        | Source::IndexScan(rel, _)
        | Source::Bitmap(rel, _)
        | Source::TidScan(rel, _) => selfuncs::has_stats(rel),
        Source::Join(j) => analyzed(&j.left.source) && analyzed(&j.right.source),
        _ => false,
    }
}

/// Whether looking the right rows up by index for each left row costs
/// less than hashing the right side: always without statistics of the
/// right table (the rule), else by PostgreSQL's formulas over the left
/// side's estimated rows.
fn nested_loop_pays(j: &Join, probe: &ParamIndexScan) -> bool {
    let rel = &probe.rel;
    if !selfuncs::has_stats(rel) {
        return true;
    }
    let left_rows = selfuncs::source_rows(&j.left.source, j.left.filter.as_ref());
    let nested = nested_loop_cost(probe, j.right.filter.as_ref(), &j.left, left_rows);
    let quals = j
        .right
        .filter
        .as_ref()
        .map_or(0, |f| conjuncts(f.clone()).len());
    let right_rows = selfuncs::source_rows(&j.right.source, j.right.filter.as_ref());
    let hashed = selfuncs::seqscan_cost(rel, quals)
        + right_rows * (selfuncs::cpu_operator_cost() + selfuncs::cpu_tuple_cost())
        + left_rows * selfuncs::cpu_operator_cost() * j.hash_keys.len() as f64;
    nested <= hashed
}

/// `probe` marked as chosen by cost when the estimates behind
/// [`nested_loop_pays`] came from statistics of both inputs (or hash joins
/// are disabled): the executor then never turns to hashing at run time.
fn chosen_by_cost(j: &Join, mut probe: ParamIndexScan) -> ParamIndexScan {
    probe.by_cost = !crate::settings::current().enable_hashjoin
        || (selfuncs::has_stats(&probe.rel) && analyzed(&j.left.source));
    probe
}

/// `left_expr = right_expr` (same type; each side reading only its own
/// row): the pair, the right one over the right row.
fn hash_key(c: &Expr, lw: usize) -> Option<(Expr, Expr)> {
    let Expr::Call {
        func: "eq", args, ..
    } = c
    else {
        return None;
    };
    let [a, b] = args.as_slice() else { return None };
    if a.type_oid() != b.type_oid() {
        return None;
    }
    let side = |e: &Expr| match e.var_span() {
        Some((_, hi)) if hi < lw => Some(false),
        Some((lo, _)) if lo >= lw => Some(true),
        _ => None,
    };
    let shift = |e: &Expr| e.clone().shift_vars(-(lw as isize));
    match (side(a)?, side(b)?) {
        (false, true) => Some((a.clone(), shift(b))),
        (true, false) => Some((b.clone(), shift(a))),
        _ => None,
    }
}

/// An index of the right input's table whose leading key columns the hash
/// keys fix (see [`keyed_index`]).
fn inner_index(j: &Join) -> Option<ParamIndexScan> {
    if !matches!(
        j.kind,
        JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti
    ) || j.hash_keys.is_empty()
    {
        return None;
    }
    let rel = j.right.source.relation()?;
    let pairs: Vec<(&Expr, &Expr)> = j.hash_keys.iter().map(|(l, r)| (r, l)).collect();
    keyed_index(rel, &pairs)
}

/// An index of `rel` whose leading key columns equalities fix: `pairs`
/// holds (an expression over `rel`'s rows, the value it must equal); the
/// first must be a plain column of its own type (no partial or
/// expression index). The one that fixes the most columns.
fn keyed_index(
    rel: &Arc<crate::catalog::RelationDesc>,
    pairs: &[(&Expr, &Expr)],
) -> Option<ParamIndexScan> {
    let mut best: Option<ParamIndexScan> = None;
    for index in rel.indexes.iter().filter(|i| i.predicate.is_none()) {
        let mut keys = Vec::new();
        for (k, &column) in index.columns.iter().enumerate() {
            if index.exprs.get(k).is_some_and(Option::is_some) {
                break;
            }
            let Some((_, value)) = pairs.iter().find(|(own, _)| {
                matches!(own, Expr::Var { index, type_oid, .. }
                    if *index == column && rel.columns.get(column).is_some_and(|c| c.type_oid == *type_oid))
            }) else {
                break;
            };
            keys.push((*value).clone());
        }
        if !keys.is_empty() && best.as_ref().is_none_or(|b| keys.len() > b.keys.len()) {
            best = Some(ParamIndexScan {
                rel: Arc::clone(rel),
                index_oid: index.oid,
                keys,
                index_only: false,
                by_cost: false,
            });
        }
    }
    best
}
