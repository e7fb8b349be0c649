//! What ANALYZE left for the planner: a relation's size (`pg_class.relpages`
//! / `reltuples`) and its columns' `pg_statistic` rows, read into the shape
//! the selectivity functions use (PostgreSQL's `VariableStatData` with its
//! slots already looked up).

use types::Datum;

use crate::system::PG_STATISTIC_DEF;

/// `stakind` of a most-common-values slot.
pub const STATISTIC_KIND_MCV: i16 = 1;
/// `stakind` of a histogram slot.
pub const STATISTIC_KIND_HISTOGRAM: i16 = 2;
/// `stakind` of a correlation slot.
pub const STATISTIC_KIND_CORRELATION: i16 = 3;

/// A relation's statistics. `tuples` is negative when it was never
/// counted (no VACUUM or ANALYZE since it was made), as in `pg_class`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationStatistics {
    pub pages: f64,
    pub tuples: f64,
    /// `relallvisible`: pages whose rows every snapshot sees.
    pub all_visible: f64,
    /// One entry per analyzed column, by attnum.
    pub columns: Vec<ColumnStatistics>,
}

impl Default for RelationStatistics {
    fn default() -> RelationStatistics {
        RelationStatistics {
            pages: 0.0,
            tuples: -1.0,
            all_visible: 0.0,
            columns: Vec::new(),
        }
    }
}

impl RelationStatistics {
    /// Whether VACUUM or ANALYZE has counted the relation's rows.
    pub fn counted(&self) -> bool {
        self.tuples >= 0.0
    }

    /// The statistics of column `attnum`, if it was analyzed.
    pub fn column(&self, attnum: i16) -> Option<&ColumnStatistics> {
        self.columns.iter().find(|c| c.attnum == attnum)
    }
}

/// One column's `pg_statistic` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnStatistics {
    pub attnum: i16,
    /// `stanullfrac`
    pub null_frac: f64,
    /// `stawidth`
    pub width: i32,
    /// `stadistinct`: a count, or (negative) minus a fraction of the rows.
    pub distinct: f64,
    /// The most common values with their frequencies (as fractions of all
    /// rows), most common first.
    pub mcv: Vec<(Datum, f64)>,
    /// Histogram bounds of the values that are not among the MCVs, in
    /// ascending order.
    pub histogram: Vec<Datum>,
    pub correlation: Option<f64>,
}

impl ColumnStatistics {
    /// The column's `pg_statistic` row, or None for a row that is not one.
    pub fn from_row(row: &[Datum]) -> Option<ColumnStatistics> {
        let d = &PG_STATISTIC_DEF;
        let float = |name: &str| match row.get(d.col(name)) {
            Some(Datum::Float4(v)) => f64::from(*v),
            _ => 0.0,
        };
        let mut s = ColumnStatistics {
            attnum: match row.get(d.col("staattnum")) {
                Some(Datum::Int2(a)) => *a,
                _ => return None,
            },
            null_frac: float("stanullfrac"),
            width: match row.get(d.col("stawidth")) {
                Some(Datum::Int4(w)) => *w,
                _ => 0,
            },
            distinct: float("stadistinct"),
            ..ColumnStatistics::default()
        };
        let elems = |name: String| -> Vec<Datum> {
            match row.get(d.col(&name)) {
                Some(Datum::Array(a)) => a.elems.clone(),
                _ => Vec::new(),
            }
        };
        let numbers = |name: String| -> Vec<f64> {
            elems(name)
                .iter()
                .map(|n| match n {
                    Datum::Float4(v) => f64::from(*v),
                    _ => 0.0,
                })
                .collect()
        };
        for slot in 1..=5 {
            let kind = match row.get(d.col(&format!("stakind{slot}"))) {
                Some(Datum::Int2(k)) => *k,
                _ => 0,
            };
            match kind {
                STATISTIC_KIND_MCV => {
                    let values = elems(format!("stavalues{slot}"));
                    let freqs = numbers(format!("stanumbers{slot}"));
                    s.mcv = values.into_iter().zip(freqs).collect();
                }
                STATISTIC_KIND_HISTOGRAM => s.histogram = elems(format!("stavalues{slot}")),
                STATISTIC_KIND_CORRELATION => {
                    s.correlation = numbers(format!("stanumbers{slot}")).first().copied();
                }
                _ => {}
            }
        }
        Some(s)
    }

    /// The number of distinct values among `rows` rows (`stadistinct`
    /// resolved), or None when ANALYZE could not tell.
    pub fn distinct_count(&self, rows: f64) -> Option<f64> {
        if self.distinct > 0.0 {
            Some(self.distinct)
        } else if self.distinct < 0.0 {
            Some((-self.distinct * rows).max(1.0))
        } else {
            None
        }
    }
}
