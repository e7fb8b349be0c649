//! ANALYZE's part for extended statistics objects (PostgreSQL's
//! `statistics/extended_stats.c`, `mvdistinct.c` and `dependencies.c`):
//! from the same sample rows as the per-column statistics, each object of
//! the table gets a `pg_statistic_ext_data` row (`stxdinherit` false) with
//!
//! - `stxdndistinct`: for every combination of two or more of its columns
//!   (by size, then in lexicographic order), the number of distinct
//!   combinations of values, scaled from the sample to the table by the
//!   Haas–Stokes estimator that ANALYZE uses for single columns
//!   (`n·d / (n − f1 + f1·n/N)`, f1 the combinations seen once);
//! - `stxddependencies`: for every k-subset (k ≥ 2) and each of its columns
//!   as the determined one, the degree of the functional dependency: the
//!   fraction of sampled rows in groups (equal on the determining columns)
//!   where the determined column has a single value. Degrees of 0 are left
//!   out.
//!
//! An object's expressions are evaluated over each sampled row and take
//! part as attributes -1, -2, ... after its columns, as in PostgreSQL.
//!
//! **Departures:** MCV lists (`stxdmcv`) and the per-expression statistics
//! (`stxdexpr`) are not built (NULL), and there is no inheritance pass
//! (`stxdinherit` true): ANALYZE samples a table's own rows only.

use std::collections::HashMap;

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::statistics::{format_dependencies, format_ndistinct};
use catalog::system::{PG_STATISTIC_EXT_DATA, PG_STATISTIC_EXT_DATA_DEF};
use types::{Datum, PgResult};

use crate::relcache::with_reader;
use crate::session::Session;

/// One object's findings: (stxoid, ndistinct text, dependencies text).
type Built = (u32, Option<String>, Option<String>);

/// Builds the extended statistics of `table` from `sample` (full rows, in
/// the table's column order) and replaces their `pg_statistic_ext_data`
/// rows. `analyzed`: the attribute numbers this ANALYZE computed
/// statistics for; an object with another column is not built (WARNING,
/// as PostgreSQL's).
pub(crate) fn build(
    session: &mut Session,
    table: &RelationInfo,
    sample: &[Vec<Datum>],
    total_rows: f64,
    analyzed: &[i16],
) -> PgResult<()> {
    let objects = with_reader(session, |r| r.statistics_ext(table.oid))?;
    if objects.is_empty() {
        return Ok(());
    }
    let mut built: Vec<Built> = Vec::new();
    let mut old = Vec::new();
    for (_, object) in &objects {
        if object.stattarget == 0 {
            continue;
        }
        if !object.keys.iter().all(|k| analyzed.contains(k)) {
            let nsp = super::namespace_name(session, object.namespace)?;
            session.warn(
                "01000",
                format!(
                    "statistics object \"{nsp}.{}\" could not be computed for relation \"{}.{}\"",
                    object.name, table.namespace, table.name
                ),
            );
            continue;
        }
        let columns: Vec<usize> = object
            .keys
            .iter()
            .filter_map(|k| table.columns.iter().position(|c| c.attnum == *k))
            .collect();
        if columns.len() != object.keys.len() {
            continue;
        }
        // The expressions, evaluated over each sampled row; numbered -1,
        // -2, ... after the columns, as PostgreSQL numbers them.
        let texts = super::statistics::expression_texts(object.exprs.as_deref());
        let Some(exprs) = analyze_expressions(table, &texts) else {
            continue;
        };
        let mut attrs: Vec<i16> = object.keys.clone();
        attrs.extend((1..=exprs.len()).map(|i| -(i as i16)));
        if attrs.len() < 2 {
            continue;
        }
        let mut keyed: Vec<Vec<String>> = Vec::with_capacity(sample.len());
        let mut failed = false;
        for row in sample {
            let mut key: Vec<String> = columns
                .iter()
                .map(|&c| format!("{:?}", row.get(c).unwrap_or(&Datum::Null)))
                .collect();
            let mut ctx = crate::index_exprs::Immutable;
            let mut ev = executor::expr::Evaluator::new(&[], &mut ctx);
            for e in &exprs {
                match ev.eval_row(e, row) {
                    Ok(v) => key.push(format!("{v:?}")),
                    Err(_) => failed = true,
                }
            }
            keyed.push(key);
        }
        if failed {
            continue;
        }
        let ndistinct = object.kinds.contains(&'d').then(|| {
            let items: Vec<(Vec<i16>, f64)> = combinations(attrs.len())
                .into_iter()
                .map(|combo| {
                    let attrs = combo.iter().map(|&i| attrs[i]).collect();
                    (attrs, ndistinct_of(&keyed, &combo, total_rows))
                })
                .collect();
            format_ndistinct(&items)
        });
        let dependencies = object.kinds.contains(&'f').then(|| {
            let mut items: Vec<(Vec<i16>, f64)> = Vec::new();
            for dep in dependency_orders(attrs.len()) {
                let degree = dependency_degree(&keyed, &dep);
                if degree > 0.0 {
                    items.push((dep.iter().map(|&i| attrs[i]).collect(), degree));
                }
            }
            format_dependencies(&items)
        });
        for (tid, inherit, _, _) in with_reader(session, |r| r.statistics_ext_data(object.oid))? {
            if !inherit {
                old.push((PG_STATISTIC_EXT_DATA, tid));
            }
        }
        built.push((object.oid, ndistinct, dependencies));
    }
    if built.is_empty() && old.is_empty() {
        return Ok(());
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.delete_rows(&old, w)?;
        for (oid, ndistinct, dependencies) in &built {
            let text = |t: &Option<String>| t.clone().map_or(Datum::Null, Datum::Text);
            cw.insert_row(
                &PG_STATISTIC_EXT_DATA_DEF,
                &[
                    Datum::Oid(*oid),
                    Datum::Bool(false),
                    text(ndistinct),
                    text(dependencies),
                    Datum::Null,
                    Datum::Null,
                ],
                w,
            )?;
        }
        Ok(())
    })?;
    super::catalog_changed(session);
    Ok(())
}

/// An object's expressions analyzed over its table (None if one cannot be:
/// the object is then not built).
fn analyze_expressions(table: &RelationInfo, texts: &[String]) -> Option<Vec<planner::Expr>> {
    if texts.is_empty() {
        return Some(Vec::new());
    }
    let desc = std::sync::Arc::new(crate::table_access::relation_desc(table));
    texts
        .iter()
        .map(|t| planner::analyze_index_expression(desc.clone(), t).ok())
        .collect()
}

/// The combinations of two or more of `n` items, by size and then in
/// lexicographic order (PostgreSQL's `generator_init` order).
fn combinations(n: usize) -> Vec<Vec<usize>> {
    fn rec(n: usize, k: usize, start: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(n, k, i + 1, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    for k in 2..=n {
        rec(n, k, 0, &mut Vec::new(), &mut out);
    }
    out
}

/// The dependencies to measure, in PostgreSQL's order: for each size k ≥ 2,
/// each ascending (k−1)-subset of determining items followed by each other
/// item as the determined one.
fn dependency_orders(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for k in 2..=n {
        for combo in combinations(n).into_iter().filter(|c| c.len() == k - 1) {
            for last in (0..n).filter(|i| !combo.contains(i)) {
                let mut dep = combo.clone();
                dep.push(last);
                out.push(dep);
            }
        }
        // size-1 determining sets are not among `combinations`
        if k == 2 {
            for first in 0..n {
                for last in (0..n).filter(|&i| i != first) {
                    out.push(vec![first, last]);
                }
            }
        }
    }
    out
}

/// The estimated number of distinct combinations of the `combo` columns in
/// the table (`estimate_ndistinct`).
fn ndistinct_of(rows: &[Vec<String>], combo: &[usize], total_rows: f64) -> f64 {
    let mut counts: HashMap<Vec<&str>, usize> = HashMap::new();
    for row in rows {
        let key: Vec<&str> = combo.iter().map(|&i| row[i].as_str()).collect();
        *counts.entry(key).or_default() += 1;
    }
    let d = counts.len() as f64;
    let f1 = counts.values().filter(|&&c| c == 1).count() as f64;
    let n = rows.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let denom = (n - f1) + f1 * n / total_rows.max(1.0);
    let mut nd = n * d / denom;
    if nd < d {
        nd = d;
    }
    if nd > total_rows {
        nd = total_rows;
    }
    (nd + 0.5).floor()
}

/// The degree of the dependency `dep` (determining items, then the
/// determined one): the fraction of rows whose group agrees on it.
fn dependency_degree(rows: &[Vec<String>], dep: &[usize]) -> f64 {
    let Some((&last, from)) = dep.split_last() else {
        return 0.0;
    };
    // group -> (rows, the determined value, whether it varies)
    let mut groups: HashMap<Vec<&str>, (usize, &str, bool)> = HashMap::new();
    for row in rows {
        let key: Vec<&str> = from.iter().map(|&i| row[i].as_str()).collect();
        let value = row[last].as_str();
        let g = groups.entry(key).or_insert((0, value, false));
        g.0 += 1;
        if g.1 != value {
            g.2 = true;
        }
    }
    let supporting: usize = groups.values().filter(|g| !g.2).map(|g| g.0).sum();
    supporting as f64 / rows.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_and_dependencies_come_in_postgresql_order() {
        assert_eq!(
            combinations(3),
            vec![vec![0, 1], vec![0, 2], vec![1, 2], vec![0, 1, 2]]
        );
        assert_eq!(
            dependency_orders(3),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![1, 0],
                vec![1, 2],
                vec![2, 0],
                vec![2, 1],
                vec![0, 1, 2],
                vec![0, 2, 1],
                vec![1, 2, 0],
            ]
        );
    }

    #[test]
    fn degrees_and_distinct_counts() {
        let rows: Vec<Vec<String>> = (0..100)
            .map(|i| vec![(i % 10).to_string(), (i % 5).to_string()])
            .collect();
        // a determines b (a % 10 fixes a % 5), not the other way round
        assert_eq!(dependency_degree(&rows, &[0, 1]), 1.0);
        assert_eq!(dependency_degree(&rows, &[1, 0]), 0.0);
        // the whole table sampled: the count is exact
        assert_eq!(ndistinct_of(&rows, &[0, 1], 100.0), 10.0);
    }
}
