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
    /// What ANALYZE found of its extended statistics objects (the table's
    /// own rows, `stxdinherit` false), in name order.
    pub extended: Vec<ExtendedStatistics>,
}

impl Default for RelationStatistics {
    fn default() -> RelationStatistics {
        RelationStatistics {
            pages: 0.0,
            tuples: -1.0,
            all_visible: 0.0,
            columns: Vec::new(),
            extended: Vec::new(),
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

/// One extended statistics object's findings (`pg_statistic_ext_data`),
/// by attribute numbers (an object's expressions would be -1, -2, ...).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtendedStatistics {
    /// The object's plain columns (`stxkeys`).
    pub keys: Vec<i16>,
    /// Its expressions (`stxexprs`: SQL text, each in parentheses,
    /// separated by commas), attributes -1, -2, ... in the items below.
    pub exprs: Option<String>,
    /// `pg_ndistinct`: the distinct values of each combination of two or
    /// more of the columns.
    pub ndistinct: Vec<(Vec<i16>, f64)>,
    /// `pg_dependencies`: functional dependencies, the determining columns
    /// then the determined one last, with their degree (0 to 1).
    pub dependencies: Vec<(Vec<i16>, f64)>,
}

/// The text a `pg_ndistinct` prints: `{"1, 2": 11, "1, 2, 3": 12}`.
pub fn format_ndistinct(items: &[(Vec<i16>, f64)]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|(attrs, n)| {
            let attrs: Vec<String> = attrs.iter().map(i16::to_string).collect();
            format!("\"{}\": {}", attrs.join(", "), *n as i64)
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// The text a `pg_dependencies` prints: `{"1 => 2": 1.000000, "1, 2 =>
/// 3": 0.500000}`.
pub fn format_dependencies(items: &[(Vec<i16>, f64)]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|(attrs, degree)| {
            let (last, from) = attrs.split_last().unwrap_or((&0, &[]));
            let from: Vec<String> = from.iter().map(i16::to_string).collect();
            format!("\"{} => {last}\": {degree:.6}", from.join(", "))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Reads the text of [`format_ndistinct`] or [`format_dependencies`]
/// back: each item's attribute numbers (in order, `=>` read as a comma)
/// and its number.
pub fn parse_items(text: &str) -> Vec<(Vec<i16>, f64)> {
    let body = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    for part in body.split(", \"") {
        let part = part.trim().trim_start_matches('"');
        let Some((attrs, number)) = part.split_once("\": ") else {
            continue;
        };
        let attrs: Vec<i16> = attrs
            .split([',', '='])
            .map(|a| a.trim().trim_start_matches('>').trim())
            .filter(|a| !a.is_empty())
            .filter_map(|a| a.parse().ok())
            .collect();
        if let Ok(n) = number.trim().parse() {
            out.push((attrs, n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndistinct_and_dependencies_print_as_postgresql_and_read_back() {
        let nd = vec![(vec![1, 2], 11.0), (vec![1, 2, 3], 323.0)];
        let text = format_ndistinct(&nd);
        assert_eq!(text, r#"{"1, 2": 11, "1, 2, 3": 323}"#);
        assert_eq!(parse_items(&text), nd);
        let deps = vec![(vec![1, 2], 1.0), (vec![1, 3, 2], 0.5)];
        let text = format_dependencies(&deps);
        assert_eq!(text, r#"{"1 => 2": 1.000000, "1, 3 => 2": 0.500000}"#);
        assert_eq!(parse_items(&text), deps);
        assert!(parse_items("{}").is_empty());
    }
}
