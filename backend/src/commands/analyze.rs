//! ANALYZE [table [(columns)]] (PostgreSQL's `analyze.c`): samples a
//! table's rows and writes what it finds of each column to `pg_statistic`
//! (shown by the `pg_stats` view), and the table's size to `pg_class`
//! (`relpages`, `reltuples`).
//!
//! The sample is up to 300 × `default_statistics_target` rows, taken by
//! reservoir sampling over one pass of the table (PostgreSQL samples blocks
//! first, then rows in them; **departure:** every block is read, so the row
//! count is exact rather than estimated). A table no larger than the sample
//! is read whole, and then its statistics are exactly PostgreSQL's.
//!
//! Per column, as PostgreSQL's `compute_scalar_stats` for types with an
//! order: the fraction of NULLs, the average stored width, the number of
//! distinct values (the Haas–Stokes estimator; negative when it scales with
//! the table), the most common values with their frequencies (kept only if
//! significantly more common than the rest, `analyze_mcv_list`), a histogram
//! of the other values and the correlation of their order with the rows'
//! physical order. Values wider than 1024 bytes are left out of the sort.
//! A type without an order (none of ours) would get the first three only.

use std::cmp::Ordering;

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{PG_STATISTIC, PG_STATISTIC_DEF};
use storage::lmgr::{LockMode, LockTag};
use types::datum::ArrayValue;
use types::oid;
use types::{Datum, PgError, PgResult, SqlState};

use crate::relcache;
use crate::session::Session;

/// `STATISTIC_KIND_MCV`, `_HISTOGRAM`, `_CORRELATION` of `pg_statistic`.
const KIND_MCV: i16 = 1;
const KIND_HISTOGRAM: i16 = 2;
const KIND_CORRELATION: i16 = 3;
/// Values wider than this are not sorted (PostgreSQL's `WIDTH_THRESHOLD`).
const WIDTH_THRESHOLD: usize = 1024;
/// `DEFAULT_COLLATION_OID` and `C_COLLATION_OID`.
const DEFAULT_COLLATION: u32 = 100;
const C_COLLATION: u32 = 950;

/// The statistics of one column, as a `pg_statistic` row holds them.
#[derive(Clone)]
struct ColumnStats {
    attnum: i16,
    type_oid: u32,
    null_frac: f32,
    width: i32,
    distinct: f32,
    slots: Vec<Slot>,
}

/// One filled `pg_statistic` slot: kind, operator, collation, numbers,
/// values.
type Slot = (i16, u32, u32, Option<Vec<f32>>, Option<Vec<Datum>>);

/// Samples table `oid` and replaces its `pg_statistic` rows (of `columns`
/// only, when given) and its size in `pg_class`.
/// `auto`: autovacuum's (counted as an auto-analyze).
pub(crate) fn analyze_relation(
    session: &mut Session,
    oid: u32,
    columns: &[String],
    auto: bool,
) -> PgResult<()> {
    let db = session.database_oid;
    // Readers and writers go on; another ANALYZE, VACUUM or DDL waits.
    crate::xact::lock(
        session,
        LockTag::Relation { db, rel: oid },
        LockMode::ShareUpdateExclusive,
        false,
    )?;
    let Some(info) = relcache::relation_by_oid(session, oid)? else {
        return Ok(());
    };
    if !matches!(info.kind, 'r' | 'm') {
        // views, sequences, partitioned parents: nothing sampled here
        if info.kind == 'v' || info.kind == 'S' || info.kind == 'c' {
            session.warn(
                "01000",
                format!(
                    "skipping \"{}\" --- cannot analyze non-tables or special system tables",
                    info.name
                ),
            );
        }
        return Ok(());
    }
    let wanted: Vec<usize> = if columns.is_empty() {
        (0..info.columns.len())
            .filter(|&i| !info.columns[i].dropped)
            .collect()
    } else {
        let mut v = Vec::new();
        for name in columns {
            let i = info
                .columns
                .iter()
                .position(|c| !c.dropped && &c.name == name)
                .ok_or_else(|| {
                    PgError::new(
                        SqlState::UndefinedColumn,
                        format!(
                            "column \"{name}\" of relation \"{}\" does not exist",
                            info.name
                        ),
                    )
                })?;
            v.push(i);
        }
        v
    };
    let default_target = session
        .settings
        .get_int("default_statistics_target")
        .unwrap_or(100)
        .clamp(1, 10_000) as usize;
    // per column: ALTER TABLE ... SET STATISTICS (0: not analyzed)
    let attrs = relcache::with_reader(session, |r| r.attributes(oid))?;
    let target_of = |attnum: i16| -> usize {
        match attrs.iter().find(|(_, a)| a.attnum == attnum) {
            Some((_, a)) if a.stat_target >= 0 => a.stat_target as usize,
            _ => default_target,
        }
    };
    let wanted: Vec<(usize, usize)> = wanted
        .into_iter()
        .map(|i| (i, target_of(info.columns[i].attnum)))
        .filter(|&(_, t)| t > 0)
        .collect();
    // the sample serves the largest target
    let target = wanted.iter().map(|w| w.1).max().unwrap_or(default_target);
    let (sample, total_rows) = sample_rows(session, &info, 300 * target)?;
    let stats: Vec<ColumnStats> = wanted
        .iter()
        .map(|&(i, target)| {
            let col = &info.columns[i];
            let values: Vec<&Datum> = sample.iter().map(|r| &r[i]).collect();
            let mut st = column_stats(col.attnum, col.type_oid, &values, total_rows as f64, target);
            // ALTER COLUMN ... SET (n_distinct = n) overrides the estimate
            // (0 means no override).
            let own = attrs
                .iter()
                .find(|(_, a)| a.attnum == col.attnum)
                .and_then(|(_, a)| a.options.as_deref())
                .and_then(|o| catalog::reloptions::real_option(o, "n_distinct"))
                .filter(|&n| n != 0.0);
            if let Some(n) = own {
                st.distinct = n as f32;
            }
            st
        })
        .collect();
    let pages = {
        let mut smgr = session.storage.store.smgr();
        smgr.nblocks(info.locator(db), storage::smgr::ForkNumber::Main)? as i32
    };
    let attnums: Vec<i16> = stats.iter().map(|s| s.attnum).collect();
    let class = relcache::with_reader(session, |r| r.class_by_oid(oid))?;
    let index_classes = super::vacuum::index_sizes(session, oid, total_rows as f32)?;
    let mut old: Vec<(u32, storage::page::ItemPointer)> = Vec::new();
    relcache::with_reader(session, |r| {
        let d = &PG_STATISTIC_DEF;
        r.scan(d, |tid, row| {
            if let (Some(Datum::Oid(rel)), Some(Datum::Int2(att))) =
                (row.get(d.col("starelid")), row.get(d.col("staattnum")))
                && *rel == oid
                && attnums.contains(att)
            {
                old.push((PG_STATISTIC, tid));
            }
            Ok(true)
        })
    })?;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.delete_rows(&old, w)?;
        for s in &stats {
            // Without out-of-line TOAST a row must fit a page once
            // compressed: a long histogram or MCV list of wide values is
            // thinned until it does.
            let mut s = std::borrow::Cow::Borrowed(s);
            loop {
                match cw.insert_row(&PG_STATISTIC_DEF, &statistic_row(oid, &s), w) {
                    Err(e) if e.code == SqlState::ProgramLimitExceeded => {
                        if !thin(s.to_mut()) {
                            return Err(e);
                        }
                    }
                    other => {
                        other?;
                        break;
                    }
                }
            }
        }
        if let Some((tid, mut class)) = class {
            class.pages = pages;
            class.tuples = total_rows as f32;
            cw.update_class(tid, &class, w)?;
        }
        for (tid, class) in &index_classes {
            cw.update_class(*tid, class, w)?;
        }
        Ok(())
    })?;
    super::catalog_changed(session);
    // the extended statistics objects, from the same sample
    super::extended_stats::build(session, &info, &sample, total_rows as f64, &attnums)?;
    storage::pgstat::TableStats::new(session.shmem).analyzed(
        db,
        oid,
        crate::session::now_pg(),
        auto,
    );
    Ok(())
}

/// Up to `size` rows of the table, chosen uniformly at random (Algorithm R)
/// and put back in their physical order, with the number of live rows.
fn sample_rows(
    session: &mut Session,
    info: &catalog::heap_catalog::RelationInfo,
    size: usize,
) -> PgResult<(Vec<Vec<Datum>>, u64)> {
    let desc = crate::table_access::relation_desc_for(session, info)?;
    let scan = crate::table_access::scan_begin(session, &desc)?;
    let mut reservoir: Vec<(u64, Vec<Datum>)> = Vec::with_capacity(size.min(1 << 16));
    let mut seen: u64 = 0;
    let mut rng = Rng::new(info.oid);
    let result = (|| -> PgResult<()> {
        while let Some((_, row)) = crate::table_access::scan_next(session, scan)? {
            if reservoir.len() < size {
                reservoir.push((seen, row));
            } else {
                let j = rng.below(seen + 1);
                if (j as usize) < size {
                    reservoir[j as usize] = (seen, row);
                }
            }
            seen += 1;
            session.interrupts.check(session.deadline)?;
        }
        Ok(())
    })();
    crate::table_access::scan_end(session, scan);
    result?;
    reservoir.sort_by_key(|(n, _)| *n);
    Ok((reservoir.into_iter().map(|(_, r)| r).collect(), seen))
}

/// xorshift64*: the sample's random choices (nothing here needs more).
struct Rng(u64);

impl Rng {
    fn new(seed: u32) -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng((t ^ u64::from(seed).rotate_left(32)) | 1)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// The width a value takes in a tuple, as `pg_stats.avg_width` counts it.
fn stored_width(type_oid: u32, v: &Datum) -> usize {
    let len = oid::typlen(type_oid);
    if len > 0 {
        return len as usize;
    }
    let payload = match v {
        Datum::Text(s) if len == -2 => return s.len() + 1,
        Datum::Text(s) => s.len(),
        Datum::Bytea(b) => b.len(),
        // on disk a numeric is a 2-byte header and its base-10000 digits,
        // where the wire form has 8 bytes of header
        Datum::Numeric(_) => v.to_binary().len().saturating_sub(6),
        Datum::Geo(g) => g.to_storage().len(),
        other => other.to_binary().len(),
    };
    // a short (1-byte) varlena header below 127 bytes, else 4 bytes
    payload + if payload < 127 { 1 } else { 4 }
}

/// PostgreSQL's `=` and `<` operators of a type (their OIDs), for the
/// statistics' `staop`; 0 for a type not listed.
fn operators(type_oid: u32) -> (u32, u32) {
    match type_oid {
        oid::BOOL => (91, 58),
        oid::BYTEA => (1955, 1957),
        oid::CHAR => (92, 631),
        oid::NAME => (93, 660),
        oid::INT8 => (410, 412),
        oid::INT2 => (94, 95),
        oid::INT4 => (96, 97),
        oid::TEXT | oid::VARCHAR => (98, 664),
        oid::OID => (607, 609),
        oid::FLOAT4 => (620, 622),
        oid::FLOAT8 => (670, 672),
        oid::MONEY => (900, 902),
        oid::MACADDR => (1220, 1222),
        oid::INET | oid::CIDR => (1201, 1203),
        oid::BIT => (1784, 1786),
        oid::VARBIT => (1804, 1806),
        oid::BPCHAR => (1054, 1058),
        oid::DATE => (1093, 1095),
        oid::TIME => (1108, 1110),
        oid::TIMESTAMP => (2060, 2062),
        oid::TIMESTAMPTZ => (1320, 1322),
        oid::INTERVAL => (1330, 1332),
        oid::TIMETZ => (1550, 1552),
        oid::NUMERIC => (1752, 1754),
        oid::UUID => (2972, 2974),
        oid::PG_LSN => (3222, 3224),
        oid::JSONB => (3240, 3242),
        _ => (0, 0),
    }
}

/// The collation statistics of a type are ordered by.
fn collation(type_oid: u32) -> u32 {
    match type_oid {
        oid::TEXT | oid::VARCHAR | oid::BPCHAR => DEFAULT_COLLATION,
        oid::NAME => C_COLLATION,
        _ => 0,
    }
}

/// `compute_scalar_stats` over the sampled values of one column.
fn column_stats(
    attnum: i16,
    type_oid: u32,
    sample: &[&Datum],
    total_rows: f64,
    target: usize,
) -> ColumnStats {
    let sample_rows = sample.len();
    let mut nulls = 0usize;
    let mut total_width = 0usize;
    let mut too_wide = 0usize;
    // (value, its position among the non-null values)
    let mut values: Vec<(&Datum, usize)> = Vec::new();
    let mut nonnull = 0usize;
    for v in sample {
        if v.is_null() {
            nulls += 1;
            continue;
        }
        let w = stored_width(type_oid, v);
        total_width += w;
        if oid::typlen(type_oid) < 0 && w > WIDTH_THRESHOLD {
            too_wide += 1;
            nonnull += 1;
            continue;
        }
        values.push((v, nonnull));
        nonnull += 1;
    }
    let mut st = ColumnStats {
        attnum,
        type_oid,
        null_frac: 0.0,
        width: 0,
        distinct: 0.0,
        slots: Vec::new(),
    };
    if sample_rows == 0 {
        return st;
    }
    st.null_frac = (nulls as f64 / sample_rows as f64) as f32;
    st.width = if oid::typlen(type_oid) > 0 {
        i32::from(oid::typlen(type_oid))
    } else if nonnull > 0 {
        (total_width as f64 / nonnull as f64) as i32
    } else {
        0
    };
    if nonnull == 0 {
        return st;
    }
    if values.is_empty() {
        // all too wide: PostgreSQL assumes they are distinct
        st.distinct = -(1.0 - st.null_frac);
        return st;
    }
    let mut ordered = true;
    values.sort_by(|a, b| match types::compare::compare(a.0, b.0) {
        Ok(o) => o.then(a.1.cmp(&b.1)),
        Err(_) => {
            ordered = false;
            Ordering::Equal
        }
    });
    if !ordered {
        return st;
    }
    // Runs of equal values: the count of each distinct value, the most
    // common ones tracked (by count, then in value order).
    let num_mcv_max = target;
    let mut track: Vec<(usize, usize)> = Vec::new(); // (count, first index)
    let (mut ndistinct, mut nmultiple) = (0usize, 0usize);
    let mut corr_xy = 0f64;
    let mut run = 0usize;
    for i in 0..values.len() {
        corr_xy += i as f64 * values[i].1 as f64;
        run += 1;
        let last_of_run = i + 1 == values.len()
            || types::compare::compare(values[i].0, values[i + 1].0)
                .is_ok_and(|o| o != Ordering::Equal);
        if !last_of_run {
            continue;
        }
        ndistinct += 1;
        if run > 1 {
            nmultiple += 1;
            if track.len() < num_mcv_max || run > track.last().map_or(0, |t| t.0) {
                let at = track.iter().position(|t| run > t.0).unwrap_or(track.len());
                track.insert(at, (run, i + 1 - run));
                track.truncate(num_mcv_max);
            }
        }
        run = 0;
    }
    let n = (sample_rows - nulls) as f64;
    let big_n = total_rows * (1.0 - f64::from(st.null_frac));
    let mut distinct = if nmultiple == 0 {
        // every value once: assume the column is unique
        -(1.0 - f64::from(st.null_frac))
    } else if too_wide == 0 && nmultiple == ndistinct {
        // every value more than once: we probably saw them all
        ndistinct as f64
    } else {
        let f1 = (ndistinct - nmultiple + too_wide) as f64;
        let d = f1 + nmultiple as f64;
        let mut est = if big_n > 0.0 {
            (n * d) / ((n - f1) + f1 * n / big_n)
        } else {
            0.0
        };
        est = est.max(d).min(big_n);
        (est + 0.5).floor()
    };
    if distinct > 0.1 * total_rows {
        distinct = -(distinct / total_rows);
    }
    st.distinct = distinct as f32;
    // the most common values worth keeping
    let mut num_mcv = num_mcv_max;
    if track.len() == ndistinct && too_wide == 0 && distinct > 0.0 && track.len() <= num_mcv {
        num_mcv = track.len();
    } else {
        num_mcv = num_mcv.min(track.len());
        let counts: Vec<usize> = track[..num_mcv].iter().map(|t| t.0).collect();
        num_mcv = keep_mcvs(
            &counts,
            distinct,
            f64::from(st.null_frac),
            sample_rows,
            total_rows,
        );
    }
    let (eq, lt) = operators(type_oid);
    let coll = collation(type_oid);
    // values are kept as an array of the column's type: a type without an
    // array type (pg_node_tree) keeps only the numbers above
    if oid::array_of(type_oid).is_none() {
        return st;
    }
    let mcv = &track[..num_mcv];
    if num_mcv > 0 {
        st.slots.push((
            KIND_MCV,
            eq,
            coll,
            Some(
                mcv.iter()
                    .map(|t| (t.0 as f64 / sample_rows as f64) as f32)
                    .collect(),
            ),
            Some(mcv.iter().map(|t| values[t.1].0.clone()).collect()),
        ));
    }
    // a histogram of the values not in the MCV list
    let num_hist = (ndistinct - num_mcv).min(target + 1);
    if num_hist >= 2 {
        let mut firsts: Vec<(usize, usize)> = mcv.iter().map(|t| (t.1, t.0)).collect();
        firsts.sort_unstable();
        let mut rest: Vec<&Datum> = Vec::with_capacity(values.len());
        let mut j = 0;
        let mut i = 0;
        while i < values.len() {
            if j < firsts.len() && i == firsts[j].0 {
                i += firsts[j].1;
                j += 1;
                continue;
            }
            rest.push(values[i].0);
            i += 1;
        }
        let nvals = rest.len();
        let delta = (nvals - 1) / (num_hist - 1);
        let delta_frac = (nvals - 1) % (num_hist - 1);
        let (mut pos, mut pos_frac) = (0usize, 0usize);
        let mut bounds = Vec::with_capacity(num_hist);
        for _ in 0..num_hist {
            bounds.push(rest[pos].clone());
            pos += delta;
            pos_frac += delta_frac;
            if pos_frac >= num_hist - 1 {
                pos += 1;
                pos_frac -= num_hist - 1;
            }
        }
        st.slots
            .push((KIND_HISTOGRAM, lt, coll, None, Some(bounds)));
    }
    // how closely the values' order follows the rows' physical order
    if values.len() > 1 {
        let n = values.len() as f64;
        let x_sum = (n - 1.0) * n / 2.0;
        let x2_sum = (n - 1.0) * n * (2.0 * n - 1.0) / 6.0;
        let corr = (n * corr_xy - x_sum * x_sum) / (n * x2_sum - x_sum * x_sum);
        st.slots
            .push((KIND_CORRELATION, lt, coll, Some(vec![corr as f32]), None));
    }
    st
}

/// `analyze_mcv_list`: how many of the most common values (counts in
/// descending order) are significantly more common than the values left
/// out would be on average; all of them when the whole table was read.
fn keep_mcvs(
    counts: &[usize],
    distinct: f64,
    null_frac: f64,
    sample_rows: usize,
    total_rows: f64,
) -> usize {
    let mut num = counts.len();
    if sample_rows as f64 == total_rows || total_rows <= 1.0 {
        return num;
    }
    let ndistinct_table = if distinct < 0.0 {
        -distinct * total_rows
    } else {
        distinct
    };
    let mut sum: f64 = counts[..num.saturating_sub(1)]
        .iter()
        .map(|&c| c as f64)
        .sum();
    while num > 0 {
        let mut selec = (1.0 - sum / sample_rows as f64 - null_frac).clamp(0.0, 1.0);
        let other = ndistinct_table - (num - 1) as f64;
        if other > 1.0 {
            selec /= other;
        }
        let (big_n, n) = (total_rows, sample_rows as f64);
        let k = big_n * counts[num - 1] as f64 / n;
        let variance = n * k * (big_n - k) * (big_n - n) / (big_n * big_n * (big_n - 1.0));
        if counts[num - 1] as f64 > selec * n + 2.0 * variance.sqrt() + 0.5 {
            break;
        }
        num -= 1;
        if num == 0 {
            break;
        }
        sum -= counts[num - 1] as f64;
    }
    num
}

/// Where the `pg_statistic` row of column `attnum` of `relid` is (for
/// DROP COLUMN and ALTER COLUMN TYPE, which make it meaningless).
pub(crate) fn column_statistics_rows(
    session: &mut Session,
    relid: u32,
    attnum: i16,
) -> PgResult<Vec<(u32, storage::page::ItemPointer)>> {
    let mut out = Vec::new();
    relcache::with_reader(session, |r| {
        let d = &PG_STATISTIC_DEF;
        r.scan(d, |tid, row| {
            if row.get(d.col("starelid")) == Some(&Datum::Oid(relid))
                && row.get(d.col("staattnum")) == Some(&Datum::Int2(attnum))
            {
                out.push((PG_STATISTIC, tid));
            }
            Ok(true)
        })
    })?;
    Ok(out)
}

/// Halves the longest value list of `s` (a histogram keeps its ends, an
/// MCV list its most common half); false when nothing is left to thin.
fn thin(s: &mut ColumnStats) -> bool {
    let longest = s
        .slots
        .iter_mut()
        .filter_map(|slot| {
            let n = slot.4.as_ref()?.len();
            (n > 2).then_some((n, slot))
        })
        .max_by_key(|(n, _)| *n);
    let Some((n, slot)) = longest else {
        return false;
    };
    if slot.0 == KIND_HISTOGRAM {
        let values = slot.4.take().unwrap_or_default();
        let kept: Vec<Datum> = values
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 0 || *i == n - 1)
            .map(|(_, v)| v.clone())
            .collect();
        slot.4 = Some(kept);
    } else {
        let keep = n / 2;
        if let Some(v) = slot.4.as_mut() {
            v.truncate(keep);
        }
        if let Some(f) = slot.3.as_mut() {
            f.truncate(keep);
        }
    }
    true
}

/// The `pg_statistic` row of one column's statistics.
fn statistic_row(relid: u32, s: &ColumnStats) -> Vec<Datum> {
    let mut row = vec![
        Datum::Oid(relid),
        Datum::Int2(s.attnum),
        Datum::Bool(false),
        Datum::Float4(s.null_frac),
        Datum::Int4(s.width),
        Datum::Float4(s.distinct),
    ];
    let slot = |i: usize| s.slots.get(i);
    row.extend((0..5).map(|i| Datum::Int2(slot(i).map_or(0, |x| x.0))));
    row.extend((0..5).map(|i| Datum::Oid(slot(i).map_or(0, |x| x.1))));
    row.extend((0..5).map(|i| Datum::Oid(slot(i).map_or(0, |x| x.2))));
    row.extend((0..5).map(|i| match slot(i).and_then(|x| x.3.as_ref()) {
        Some(nums) => Datum::Array(Box::new(ArrayValue::new(
            oid::FLOAT4,
            nums.iter().map(|f| Datum::Float4(*f)).collect(),
        ))),
        None => Datum::Null,
    }));
    row.extend((0..5).map(|i| match slot(i).and_then(|x| x.4.as_ref()) {
        Some(vals) => Datum::Array(Box::new(ArrayValue::new(s.type_oid, vals.clone()))),
        None => Datum::Null,
    }));
    row
}
