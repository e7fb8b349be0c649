//! Plans: what the executor runs.
//!
//! A query is one fixed pipeline over a source, which may be a tree of
//! joins:
//!
//! ```text
//!   source (VALUES rows | a scan of one relation | a series | a subquery's
//!           rows | a join of two sources, each with a filter of its own)
//!     -> filter (WHERE, over source rows)
//!     -> [aggregate: group keys and aggregate calls -> one row per group;
//!         HAVING over those rows]
//!     -> targets (output columns, then hidden ORDER BY columns)
//!     -> [DISTINCT] -> sort -> OFFSET/LIMIT -> drop hidden columns
//! ```
//!
//! `Expr::Var { index }` refers to column `index` of the row at hand: before
//! aggregation the source row (a full-width relation row, or the rows of a
//! join's inputs side by side), `[group keys.., aggregates..]` after it, and
//! the `VALUES` row for VALUES sources.
//!
//! DML ([`ModifyTable`]) works on one relation: INSERT takes its full-width
//! rows from the query plan; UPDATE and DELETE scan the relation themselves so
//! that they can re-check a row that a concurrent transaction changed.

use std::sync::Arc;

use crate::catalog::RelationDesc;
use crate::expr::Expr;

/// One ORDER BY key: an index into the target row (possibly a hidden column
/// past the output columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

/// Where a query's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Rows of expressions (`VALUES`, or one empty row for a SELECT without FROM).
    Values(Vec<Vec<Expr>>),
    /// Every visible row of the relation, full-width.
    SeqScan(Arc<RelationDesc>),
    /// The visible rows whose index entries lie between the bounds, in
    /// index order, full-width. The filter is still applied to each row.
    IndexScan(Arc<RelationDesc>, IndexScan),
    /// The visible rows whose heap tids a bitmap of index scans holds,
    /// each once, in heap order (PostgreSQL's bitmap heap scan over bitmap
    /// index scans combined by BitmapOr / BitmapAnd). The filter is applied
    /// to each row, so a bitmap may hold more rows than qualify.
    Bitmap(Arc<RelationDesc>, Bitmap),
    /// The visible rows at the tids (PostgreSQL's Tid Scan) or in the tid
    /// range (Tid Range Scan) that conditions on `ctid` give, in heap
    /// order. The filter is still applied to each row.
    TidScan(Arc<RelationDesc>, TidScan),
    /// `generate_series(start, stop [, step])` in FROM: one-column rows.
    Series(Series),
    /// Another set-returning function in FROM (`jsonb_each(x)`, ...): its
    /// rows, of `types.len()` columns.
    Function(FunctionScan),
    /// A subquery in FROM (`FROM (SELECT ...) AS s`): its rows, `width`
    /// columns each, computed once when the query starts. With `params`
    /// (LATERAL: it reads columns of FROM items before it) it is the right
    /// input of a join and runs for each left row, `params` over that row
    /// giving the values of its `OuterParam`s.
    Subquery {
        plan: Box<Plan>,
        width: usize,
        params: Vec<Expr>,
    },
    /// Two FROM items joined: rows of the left's columns followed by the
    /// right's.
    Join(Box<Join>),
    /// `UNION | INTERSECT | EXCEPT [ALL]` of two queries of `width` columns
    /// each (of the same types, the planner having coerced them).
    SetOp(Box<SetOp>),
    /// A `WITH RECURSIVE` query: its non-recursive term's rows, then its
    /// recursive term run again and again over the rows the previous round
    /// added (the work table `id`) until a round adds none.
    RecursiveUnion(Box<RecursiveUnion>),
    /// The rows of each plan in turn (PostgreSQL's Append: the scan of an
    /// inheritance tree), `width` values each.
    /// `alias`: the FROM item's name, which the members' scans are named
    /// after in EXPLAIN.
    Append {
        plans: Vec<Plan>,
        width: usize,
        alias: String,
    },
    /// The rows of work table `id` (the previous round of the recursive
    /// query that reads it), `width` columns each.
    WorkTable { id: usize, width: usize },
}

/// See [`Source::RecursiveUnion`]. Without `all`, a row already produced
/// is not produced (nor worked on) again.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveUnion {
    pub id: usize,
    pub all: bool,
    pub non_recursive: Plan,
    pub recursive: Plan,
    pub width: usize,
}

/// The set operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

impl SetOpKind {
    /// The keyword, for messages.
    pub fn name(self) -> &'static str {
        match self {
            SetOpKind::Union => "UNION",
            SetOpKind::Intersect => "INTERSECT",
            SetOpKind::Except => "EXCEPT",
        }
    }
}

/// A set operation: rows are equal when every column is equal or both NULL.
/// Without ALL the result has no duplicates; with ALL, UNION keeps every
/// row, INTERSECT a row as often as it is in both, EXCEPT as often as it is
/// in the left beyond its count in the right.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOp {
    pub kind: SetOpKind,
    pub all: bool,
    pub left: Plan,
    pub right: Plan,
    pub width: usize,
}

/// The kinds of join: which side's rows are kept, padded with NULLs, when
/// nothing on the other side matches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    /// `EXISTS` / `IN (subquery)` pulled up into a join: each left row
    /// that has a match, once. The joined rows are the left rows alone.
    Semi,
    /// `NOT EXISTS`: each left row without a match; the left rows alone.
    Anti,
}

impl JoinKind {
    /// Whether rows of the left side without a match are kept.
    pub fn keeps_left(self) -> bool {
        matches!(self, JoinKind::Left | JoinKind::Full)
    }

    /// Whether rows of the right side without a match are kept.
    pub fn keeps_right(self) -> bool {
        matches!(self, JoinKind::Right | JoinKind::Full)
    }

    /// Whether the joined rows are the left rows alone (a semi or anti
    /// join: the right side only decides which left rows come out).
    pub fn left_only(self) -> bool {
        matches!(self, JoinKind::Semi | JoinKind::Anti)
    }
}

/// One side of a join: its rows (`width` values each) that pass `filter`
/// (over those rows; conditions of WHERE and ON that read only this side).
/// Of a scanned row only the first `columns` values are read (the rest
/// may be NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct JoinInput {
    pub source: Source,
    pub filter: Option<Expr>,
    pub width: usize,
    pub columns: usize,
}

/// A join of two inputs (see `planner/src/joinpath.rs` for how it is
/// planned). A pair of rows matches when the values of every hash key are
/// equal (none NULL) and `qual` holds over the joined row (left values,
/// then right values).
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: JoinKind,
    pub left: JoinInput,
    pub right: JoinInput,
    /// Equalities of an expression over the left row and one of the same
    /// type over the right row: the right rows are hashed on them.
    pub hash_keys: Vec<(Expr, Expr)>,
    pub qual: Option<Expr>,
    /// A nested loop that looks the matching right rows up by an index:
    /// for each left row, the right input's index scan with its key
    /// columns equal to these expressions over the left row (the right
    /// input's own source is not used then).
    pub inner_index: Option<ParamIndexScan>,
    /// Hash the left input and probe it with each right row (the smaller
    /// side is the one hashed; an INNER or LEFT JOIN with hash keys and no
    /// `inner_index`). The joined rows are laid out the same way; EXPLAIN
    /// shows the right input as the outer side (a LEFT JOIN so planned is
    /// PostgreSQL's Hash Right Join).
    pub hash_left: bool,
    /// A nested loop driven by the right input instead: for each right
    /// row, the left input's index scan with its key columns equal to
    /// these expressions over the right row (the left input's own source
    /// is not used then). Only where that gives the same rows: an INNER
    /// join, or a semi join whose right rows are unique on its keys. The
    /// joined rows keep their layout (left values first); EXPLAIN shows
    /// the right input as the outer side, as PostgreSQL's join order.
    pub probe_left: Option<ParamIndexScan>,
    /// A join tree reordered by the join search (`joinorder.rs`): for each
    /// column of the row as written (what everything above reads), its
    /// place in the row the reordered tree makes. None: as written.
    pub output: Option<Vec<usize>>,
}

impl Join {
    /// A join of two sources (`width` values each) as analysis makes it:
    /// every column read, nothing pushed down or hashed yet (see
    /// `joinpath.rs`).
    pub fn new(
        kind: JoinKind,
        (left, left_width): (Source, usize),
        (right, right_width): (Source, usize),
        qual: Option<Expr>,
    ) -> Join {
        let input = |source, width| JoinInput {
            source,
            filter: None,
            width,
            columns: width,
        };
        Join {
            kind,
            left: input(left, left_width),
            right: input(right, right_width),
            hash_keys: Vec::new(),
            qual,
            inner_index: None,
            hash_left: false,
            probe_left: None,
            output: None,
        }
    }

    /// The width of the joined rows.
    pub fn width(&self) -> usize {
        if self.kind.left_only() {
            self.left.width
        } else {
            self.left.width + self.right.width
        }
    }
}

/// An index scan whose leading key columns equal values computed from the
/// current row of the join's left input.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamIndexScan {
    pub rel: Arc<RelationDesc>,
    pub index_oid: u32,
    /// over the left row, one per leading key column
    pub keys: Vec<Expr>,
    /// Every column the join reads of the scanned rows is in the index:
    /// an index-only scan.
    pub index_only: bool,
    /// Chosen by cost over statistics of both inputs (or with hash joins
    /// disabled): the executor keeps to it for every outer row. Without,
    /// the choice is the rule's, and the executor hashes the inner side
    /// instead once the outer one turns out big.
    pub by_cost: bool,
}

/// The arguments of `generate_series` in FROM, coerced to the series' type
/// (int4, int8 or numeric), evaluated once when the scan starts; or, with
/// `array`, `unnest(array)`: its elements (of `type_oid`), `start` and
/// `stop` unused.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub start: Expr,
    pub stop: Expr,
    pub step: Option<Expr>,
    pub type_oid: u32,
    pub array: Option<Expr>,
}

/// A set-returning function in FROM; its arguments are evaluated once
/// when the scan starts (over the outer query's row when it is LATERAL).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionScan {
    pub func: SetFunction,
    /// The types of its columns.
    pub types: Vec<u32>,
}

/// A call of a built-in set-returning function: `func` names the
/// implementation (see `executor::srf`), which returns rows of values.
#[derive(Debug, Clone, PartialEq)]
pub struct SetFunction {
    pub func: &'static str,
    pub args: Vec<Expr>,
    /// The type of its (first) column.
    pub type_oid: u32,
    /// A user function instead of a built-in one (`func` then only names
    /// it): the backend runs it.
    pub user: Option<UserSetCall>,
}

/// A call of a user function that returns rows (`SETOF`, `TABLE`, OUT
/// arguments), as a [`SetFunction`].
#[derive(Debug, Clone, PartialEq)]
pub struct UserSetCall {
    pub oid: u32,
    pub strict: bool,
    /// Values per row.
    pub width: usize,
    /// It returns a set (else exactly one row).
    pub retset: bool,
    /// The argument and result types of this call (a polymorphic
    /// function's resolved ones).
    pub arg_types: Vec<u32>,
    pub ret_type: u32,
    /// In a select list, a row of several columns is one `record` value
    /// whose fields (the OUT columns) are registered under this typmod;
    /// -1 when they are not named.
    pub record_typmod: i32,
}

/// The set-returning functions of a select list (PostgreSQL's ProjectSet
/// node): for each row (after grouping and window functions), their
/// arguments over it are evaluated and the row repeats as often as the
/// longest of their results, each function's value (NULL once it has run
/// out) appended at `input_width..`, where the targets read them. A row
/// for which every function returns nothing is dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSet {
    pub input_width: usize,
    pub funcs: Vec<SetFunction>,
}

/// The heap tids for a bitmap heap scan.
#[derive(Debug, Clone, PartialEq)]
pub enum Bitmap {
    /// The entries of one index scan.
    Index(IndexScan),
    /// Any of the parts' tids: for an OR whose every arm an index serves.
    Or(Vec<Bitmap>),
    /// Only tids every part holds: for an AND whose conditions different
    /// indexes serve. Narrowing is an optimisation (the filter decides), so
    /// the executor may skip a part once the others leave few tids, or
    /// when reading it would cost more than it saves.
    And(Vec<Bitmap>),
}

impl Source {
    /// The params of a LATERAL subquery (over the row of the items before
    /// it); empty for anything else.
    pub fn lateral_params(&self) -> &[Expr] {
        match self {
            Source::Subquery { params, .. } => params,
            _ => &[],
        }
    }

    /// The scanned relation, if the source is a scan.
    pub fn relation(&self) -> Option<&Arc<RelationDesc>> {
        match self {
            Source::Values(_)
            | Source::Series(_)
            | Source::Function(_)
            | Source::Subquery { .. }
            | Source::Join(_)
            | Source::SetOp(_)
            | Source::RecursiveUnion(_)
            | Source::Append { .. }
            | Source::WorkTable { .. } => None,
            Source::SeqScan(rel)
            | Source::IndexScan(rel, _)
            | Source::Bitmap(rel, _)
            | Source::TidScan(rel, _) => Some(rel),
        }
    }

    /// The index scan, if the source is one.
    pub fn index_scan(&self) -> Option<&IndexScan> {
        match self {
            Source::IndexScan(_, s) => Some(s),
            _ => None,
        }
    }
}

/// The tids a Tid Scan or Tid Range Scan reads, from conditions on the
/// scanned table's `ctid` compared with values fixed for the scan.
#[derive(Debug, Clone, PartialEq)]
pub struct TidScan {
    pub kind: TidScanKind,
    /// The conditions as EXPLAIN shows them (`TID Cond`): the WHERE
    /// conjuncts used, or for an OR whose arms each hold a tid condition
    /// among others, the OR of those conditions.
    pub conds: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TidScanKind {
    /// Any of these tids: each value is a `tid`, or (`array`) a `tid[]`
    /// whose elements all count (`ctid = ANY (...)`).
    List(Vec<TidValue>),
    /// The tids between the bounds: each a value and whether it is
    /// inclusive; several of a side narrow each other.
    Range {
        lower: Vec<(Expr, bool)>,
        upper: Vec<(Expr, bool)>,
    },
}

/// See [`TidScanKind::List`].
#[derive(Debug, Clone, PartialEq)]
pub struct TidValue {
    pub value: Expr,
    pub array: bool,
}

/// A range scan of a B-tree index: entries from `lower` to `upper` (in the
/// index's order; None is unbounded); or, when `in_list` is not empty, one
/// equality probe of the first key column per distinct value of the list
/// (`col IN (...)`, PostgreSQL's ScalarArrayOp index qual).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexScan {
    pub index_oid: u32,
    pub lower: Option<IndexBound>,
    pub upper: Option<IndexBound>,
    pub in_list: Vec<Expr>,
    /// Every column the query reads is in the index: rows of heap pages the
    /// visibility map marks all-visible come from the index alone (the
    /// other columns are NULL in them).
    pub index_only: bool,
    /// Read from the upper end down (an ORDER BY against the index's order).
    pub backward: bool,
}

impl IndexScan {
    /// A scan of the whole index, in key order (or backward).
    pub fn whole(index_oid: u32, index_only: bool, backward: bool) -> IndexScan {
        IndexScan {
            index_oid,
            lower: None,
            upper: None,
            in_list: Vec::new(),
            index_only,
            backward,
        }
    }
}

/// One end of an index range: values for the leading key columns
/// (expressions without column references, evaluated when the scan opens).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexBound {
    pub values: Vec<Expr>,
    pub inclusive: bool,
}

/// Which two-variable statistic an [`AggFunc::Regr`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegrKind {
    Corr,
    CovarPop,
    CovarSamp,
    AvgX,
    AvgY,
    Count,
    Intercept,
    R2,
    Slope,
    Sxx,
    Sxy,
    Syy,
}

impl RegrKind {
    /// The aggregate of this name, if it is one.
    pub fn from_name(name: &str) -> Option<RegrKind> {
        Some(match name {
            "corr" => RegrKind::Corr,
            "covar_pop" => RegrKind::CovarPop,
            "covar_samp" => RegrKind::CovarSamp,
            "regr_avgx" => RegrKind::AvgX,
            "regr_avgy" => RegrKind::AvgY,
            "regr_count" => RegrKind::Count,
            "regr_intercept" => RegrKind::Intercept,
            "regr_r2" => RegrKind::R2,
            "regr_slope" => RegrKind::Slope,
            "regr_sxx" => RegrKind::Sxx,
            "regr_sxy" => RegrKind::Sxy,
            "regr_syy" => RegrKind::Syy,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RegrKind::Corr => "corr",
            RegrKind::CovarPop => "covar_pop",
            RegrKind::CovarSamp => "covar_samp",
            RegrKind::AvgX => "regr_avgx",
            RegrKind::AvgY => "regr_avgy",
            RegrKind::Count => "regr_count",
            RegrKind::Intercept => "regr_intercept",
            RegrKind::R2 => "regr_r2",
            RegrKind::Slope => "regr_slope",
            RegrKind::Sxx => "regr_sxx",
            RegrKind::Sxy => "regr_sxy",
            RegrKind::Syy => "regr_syy",
        }
    }
}

/// The built-in aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    /// `bool_and` / `every`
    BoolAnd,
    BoolOr,
    /// `bit_and`, `bit_or`, `bit_xor` of integers or bit strings
    BitAnd,
    BitOr,
    BitXor,
    /// `string_agg(value, delimiter)`
    StringAgg,
    /// `array_agg(value)`: NULLs included
    ArrayAgg,
    /// `json_agg(value)`: its argument is `to_json(value)`; NULLs included
    JsonAgg,
    /// `jsonb_agg(value)`: its argument is `to_jsonb(value)`
    JsonbAgg,
    /// `var_samp` / `variance`, `var_pop`, `stddev_samp` / `stddev`,
    /// `stddev_pop`: numeric for integer and numeric input (exact sums),
    /// double precision for floats (Youngs-Cramer, as PostgreSQL)
    VarSamp,
    VarPop,
    StddevSamp,
    StddevPop,
    /// The two-variable statistics of double precision `(Y, X)` pairs
    /// (`corr`, `covar_pop`, `regr_slope`, ...): `arg` is `ARRAY[y, x]`; a
    /// pair with a NULL is skipped.
    Regr(RegrKind),
    /// `GROUPING(a, b, ...)`: a bit per argument (the first the highest),
    /// set when the row's grouping set leaves that expression out
    Grouping,
    /// `range_intersect_agg(range)`: the intersection of the non-null inputs
    RangeIntersectAgg,
    /// `range_agg(range | multirange)`: the union of the non-null inputs,
    /// a multirange
    RangeAgg,
    /// A user aggregate (CREATE AGGREGATE): see [`AggCall::user`].
    User,
    /// The ordered-set aggregates (`aggkind` `'o'`): `fn(direct) WITHIN
    /// GROUP (ORDER BY x)`. `arg` and the one `order_by` key are `x` (a
    /// double precision or interval for `percentile_cont`); `delimiter` is
    /// the direct argument, the fraction (double precision) or, for the
    /// array forms, an array of them.
    PercentileCont,
    PercentileDisc,
    /// `mode() WITHIN GROUP (ORDER BY x)`: no direct argument.
    Mode,
    /// The hypothetical-set aggregates (`aggkind` `'h'`): `fn(v1, ..)
    /// WITHIN GROUP (ORDER BY k1, ..)`. `order_by` holds the keys,
    /// `delimiter` a `Row` of the hypothetical values (each of its key's
    /// type), `arg` is None.
    HypotheticalRank,
    HypotheticalDenseRank,
    HypotheticalPercentRank,
    HypotheticalCumeDist,
}

impl AggFunc {
    /// An ordered-set or hypothetical-set aggregate (WITHIN GROUP).
    pub fn is_ordered_set(self) -> bool {
        matches!(
            self,
            AggFunc::PercentileCont
                | AggFunc::PercentileDisc
                | AggFunc::Mode
                | AggFunc::HypotheticalRank
                | AggFunc::HypotheticalDenseRank
                | AggFunc::HypotheticalPercentRank
                | AggFunc::HypotheticalCumeDist
        )
    }

    /// The SQL name of an ordered-set or hypothetical-set aggregate.
    pub fn ordered_set_name(self) -> Option<&'static str> {
        Some(match self {
            AggFunc::PercentileCont => "percentile_cont",
            AggFunc::PercentileDisc => "percentile_disc",
            AggFunc::Mode => "mode",
            AggFunc::HypotheticalRank => "rank",
            AggFunc::HypotheticalDenseRank => "dense_rank",
            AggFunc::HypotheticalPercentRank => "percent_rank",
            AggFunc::HypotheticalCumeDist => "cume_dist",
            _ => return None,
        })
    }
}

/// One aggregate call; its argument is evaluated over source rows.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    pub func: AggFunc,
    /// None for `count(*)`
    pub arg: Option<Expr>,
    /// `agg(DISTINCT x)`
    pub distinct: bool,
    /// `string_agg`'s delimiter, evaluated over each source row.
    pub delimiter: Option<Expr>,
    /// `FILTER (WHERE ...)` over the source row: rows it does not pass
    /// are not fed to this aggregate.
    pub filter: Option<Expr>,
    /// The result type (`sum(int4)` is int8, `avg(int4)` numeric, ...).
    pub type_oid: u32,
    /// `agg(x ORDER BY ...)`: the order its input is fed in, over the
    /// source row (expression, DESC, NULLS FIRST).
    pub order_by: Vec<(Expr, bool, bool)>,
    /// `GROUPING(...)`: its arguments, as indexes into the GROUP BY
    /// expressions.
    pub grouping: Vec<usize>,
    /// A user aggregate's support functions (`AggFunc::User`).
    pub user: Option<Box<UserAggregate>>,
}

/// A user aggregate's call (PostgreSQL's per-transition and per-aggregate
/// state in `nodeAgg.c`): its argument is None (`agg(*)`), the one
/// argument, or a `Row` of several, whose fields the transition function
/// takes after the state.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAggregate {
    pub name: String,
    /// The number of arguments (the `Row`'s width when more than one).
    pub nargs: usize,
    /// The transition function over the row `[state, args..]`.
    pub transfn: Expr,
    pub trans_strict: bool,
    /// The final function over `[state, NULL..]` (`finalfunc_extra`: a
    /// NULL per argument).
    pub finalfn: Option<Expr>,
    pub final_strict: bool,
    /// The initial state (a constant of the state type), or None: NULL,
    /// and with a strict transition function the first non-null input.
    pub initcond: Option<Expr>,
    pub state_type: u32,
    /// The moving-aggregate implementation, if the aggregate has one.
    pub moving: Option<Box<MovingAggregate>>,
}

/// A user aggregate's moving-aggregate implementation (PostgreSQL's
/// `aggmtransfn` / `aggminvtransfn`): a window frame whose start moves
/// removes the rows that leave it with the inverse transition function
/// (over `[state, args..]`) instead of aggregating the frame afresh.
#[derive(Debug, Clone, PartialEq)]
pub struct MovingAggregate {
    /// `msfunc`, `mfinalfunc`, `minitcond` and `mstype`.
    pub forward: UserAggregate,
    pub inverse: Expr,
    pub inverse_strict: bool,
}

impl WindowFunc {
    /// The expressions it reads of each input row.
    pub fn inputs(&self) -> impl Iterator<Item = &Expr> {
        let agg: Box<dyn Iterator<Item = &Expr>> = match &self.kind {
            WindowKind::Agg(call) => Box::new(call.inputs()),
            _ => Box::new(std::iter::empty()),
        };
        self.args
            .iter()
            .chain(&self.partition_by)
            .chain(self.order_by.iter().map(|(e, _, _)| e))
            .chain(agg)
    }
}

impl AggCall {
    /// The expressions it reads of each source row: argument, delimiter,
    /// FILTER.
    pub fn inputs(&self) -> impl Iterator<Item = &Expr> {
        self.arg
            .iter()
            .chain(self.delimiter.iter())
            .chain(self.filter.iter())
            .chain(self.order_by.iter().map(|(e, _, _)| e))
    }
}

/// Grouping and aggregation: one output row per distinct group key (one row in
/// all when there is no GROUP BY, even over no input).
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub group_by: Vec<Expr>,
    /// `GROUPING SETS`, `ROLLUP`, `CUBE`: the sets, each the indexes of the
    /// `group_by` expressions it groups by (the others are NULL in its
    /// rows); empty for a plain GROUP BY.
    pub sets: Vec<Vec<usize>>,
    pub aggs: Vec<AggCall>,
    /// over the aggregated row `[group keys.., aggregates..]`
    pub having: Option<Expr>,
    /// The source rows arrive ordered by the GROUP BY keys (an index scan
    /// gives that order): each group is done when the keys change, without
    /// a table of all groups (PostgreSQL's GroupAggregate).
    pub sorted: bool,
}

/// The window functions of a query level (PostgreSQL's WindowAgg nodes):
/// computed over its rows after WHERE, grouping and HAVING, their values
/// appended to each row at `input_width..`, where the targets read them.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPlan {
    pub input_width: usize,
    pub funcs: Vec<WindowFunc>,
    /// The rows keep the order they come in (an index scan gives the
    /// query's ORDER BY), instead of taking the last window's sort order.
    pub keep_order: bool,
}

impl WindowPlan {
    /// The width of its rows: the input row and the functions' values.
    pub fn output_width(&self) -> usize {
        self.input_width + self.funcs.len()
    }
}

/// One window function call with its window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFunc {
    pub kind: WindowKind,
    /// The arguments, over the input row.
    pub args: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    /// ORDER BY: (expression, DESC, NULLS FIRST).
    pub order_by: Vec<(Expr, bool, bool)>,
    pub frame: WindowFrame,
    pub type_oid: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WindowKind {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate over the frame; its argument is over the input row.
    Agg(Box<AggCall>),
}

/// ROWS, RANGE or GROUPS between two bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    pub mode: FrameMode,
    pub start: FrameBound,
    pub end: FrameBound,
    pub exclude: FrameExclusion,
}

/// A frame's EXCLUDE clause: the rows around the current one left out of
/// its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameExclusion {
    NoOthers,
    CurrentRow,
    /// the current row and its peers
    Group,
    /// the current row's peers, not the row itself
    Ties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMode {
    Rows,
    Range,
    Groups,
}

/// A frame bound; offsets are expressions that read no row: bigint in ROWS
/// and GROUPS mode, in RANGE mode of the type the ORDER BY column's
/// `in_range` takes (an interval for dates and times).
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// A query: source, filter, aggregation, targets, sort and limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: Source,
    /// WHERE, over source rows.
    pub filter: Option<Expr>,
    pub aggregate: Option<Aggregate>,
    /// Window functions, after the aggregation (their values follow the
    /// input row, where the targets read them).
    pub windows: Option<WindowPlan>,
    /// Set-returning functions of the select list, after the window
    /// functions.
    pub project_set: Option<ProjectSet>,
    /// The output columns (`PlannedStmt::columns.len()` of them), then hidden
    /// sort columns.
    pub targets: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    /// bigint expressions; NULL means no limit
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    /// SELECT DISTINCT: drop rows whose output columns equal an earlier row's.
    pub distinct: bool,
    /// `SELECT DISTINCT ON (...)`: the target columns (maybe hidden) whose
    /// values make a row's group; after the sort, only each group's first
    /// row stays (with no ORDER BY, rows are sorted by these columns).
    pub distinct_on: Vec<usize>,
    /// `FOR UPDATE | NO KEY UPDATE | SHARE | KEY SHARE`: lock each row of the
    /// scanned relation before returning it (after WHERE and the sort, as
    /// OFFSET/LIMIT take rows: PostgreSQL's LockRows node sits between them).
    pub row_lock: Option<RowMark>,
}

impl Plan {
    /// How many leading columns of a scanned row the plan reads (the rest
    /// need not be decoded): the columns of WHERE, GROUP BY and aggregate
    /// arguments, and of the targets and row lock when there is no
    /// aggregation (with it, targets read the aggregated row).
    pub fn source_columns_needed(&self) -> usize {
        self.source_columns_read().len()
    }

    /// The columns of a scanned row the plan reads (those
    /// [`Self::source_columns_needed`] counts): `read[i]` for column `i`, up
    /// to the last one read. A scan may leave the others undecoded.
    pub fn source_columns_read(&self) -> Vec<bool> {
        // Window results come after the input row: they are not decoded.
        // So are the values of set-returning functions of the select list.
        let limit = match (&self.windows, &self.project_set, &self.aggregate) {
            (Some(w), _, None) => w.input_width,
            (None, Some(p), None) => p.input_width,
            _ => usize::MAX,
        };
        let window_reads: Box<dyn Iterator<Item = &Expr>> = match (&self.windows, &self.aggregate) {
            (Some(w), None) => Box::new(w.funcs.iter().flat_map(WindowFunc::inputs)),
            _ => Box::new(std::iter::empty()),
        };
        let set_reads: Box<dyn Iterator<Item = &Expr>> = match (&self.project_set, &self.aggregate)
        {
            (Some(p), None) => Box::new(p.funcs.iter().flat_map(|f| f.args.iter())),
            _ => Box::new(std::iter::empty()),
        };
        let window_reads = window_reads.chain(set_reads);
        let mut read = Vec::new();
        for e in self.source_reads().chain(window_reads) {
            e.walk(&mut |x| {
                if let Expr::Var { index, .. } = x
                    && *index < limit
                {
                    if read.len() <= *index {
                        read.resize(index + 1, false);
                    }
                    read[*index] = true;
                }
            });
        }
        read
    }

    /// The sort keys of DISTINCT ON without ORDER BY: its columns, ascending.
    pub fn distinct_on_keys(&self) -> Vec<SortKey> {
        self.distinct_on
            .iter()
            .map(|&column| SortKey {
                column,
                descending: false,
                nulls_first: false,
            })
            .collect()
    }

    /// The expressions evaluated over source rows: WHERE, then GROUP BY and
    /// the aggregates' inputs, or the targets when nothing aggregates (with
    /// aggregation, targets read the aggregated row).
    pub fn source_reads(&self) -> Box<dyn Iterator<Item = &Expr> + '_> {
        let grouped: Box<dyn Iterator<Item = &Expr>> = match &self.aggregate {
            Some(agg) => Box::new(
                agg.group_by
                    .iter()
                    .chain(agg.aggs.iter().flat_map(AggCall::inputs)),
            ),
            None => Box::new(self.targets.iter()),
        };
        Box::new(self.filter.iter().chain(grouped))
    }

    /// The arguments of the select list's set-returning functions when
    /// they are evaluated over source rows (nothing aggregates): their
    /// `Var`s below `ProjectSet::input_width` are source columns too.
    pub fn set_function_reads(&self) -> Box<dyn Iterator<Item = &Expr> + '_> {
        match (&self.project_set, &self.aggregate) {
            (Some(p), None) => Box::new(p.funcs.iter().flat_map(|f| f.args.iter())),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// A plan that returns nothing and reads nothing (the query part of UPDATE and DELETE).
    pub fn empty() -> Plan {
        Plan {
            source: Source::Values(vec![]),
            filter: None,
            aggregate: None,
            windows: None,
            project_set: None,
            targets: vec![],
            order_by: vec![],
            limit: None,
            offset: None,
            distinct: false,
            distinct_on: Vec::new(),
            row_lock: None,
        }
    }
}

/// The strength of a row lock, weakest first (PostgreSQL's
/// `LockClauseStrength`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowLockMode {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

impl RowLockMode {
    /// The clause as messages name it: `FOR UPDATE`, ...
    pub fn clause(self) -> &'static str {
        match self {
            RowLockMode::KeyShare => "FOR KEY SHARE",
            RowLockMode::Share => "FOR SHARE",
            RowLockMode::NoKeyUpdate => "FOR NO KEY UPDATE",
            RowLockMode::Update => "FOR UPDATE",
        }
    }
}

/// What to do with a row another transaction holds, in PostgreSQL's order of
/// precedence when clauses combine (`LockWaitPolicy`: NOWAIT wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowLockWait {
    /// Wait for the other transaction to end.
    Block,
    /// `SKIP LOCKED`: leave the row out.
    SkipLocked,
    /// `NOWAIT`: fail with 55P03.
    NoWait,
}

/// The row locking a query asks for (PostgreSQL's `PlanRowMark`): which
/// relation, how strong, and the wait policy.
#[derive(Debug, Clone, PartialEq)]
pub struct RowMark {
    pub rel: Arc<RelationDesc>,
    pub mode: RowLockMode,
    pub wait: RowLockWait,
}

/// INSERT ... ON CONFLICT: which unique indexes decide that a proposed row
/// conflicts (their OIDs; none listed: every unique index), and what then.
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflictPlan {
    pub arbiters: Vec<u32>,
    pub action: OnConflictAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OnConflictAction {
    /// DO NOTHING: the proposed row is dropped.
    Nothing,
    /// DO UPDATE SET ... [WHERE ...]: `assignments` and `filter` read the
    /// existing row followed by the proposed one (`excluded`).
    Update {
        assignments: Vec<(usize, Expr)>,
        filter: Option<Expr>,
    },
}

/// A data-modifying statement in WITH (`WITH d AS (DELETE ... RETURNING
/// *) SELECT ...`): it runs once, to completion, before the statement's
/// main query, at the same command id, so neither the main query nor the
/// other WITH statements see its changes (PostgreSQL's shared snapshot).
/// Its RETURNING rows become work table `id`, which references to the
/// WITH query read.
#[derive(Debug, Clone, PartialEq)]
pub struct ModifyingCte {
    pub id: usize,
    /// The WITH query's name (for EXPLAIN).
    pub name: String,
    /// The rows of an INSERT.
    pub plan: Plan,
    pub modify: ModifyTable,
    /// Some query of the statement reads it: it runs before the main
    /// query; one nothing reads runs after it, as PostgreSQL's
    /// `ExecPostprocessPlan` finishes it (the order rows are stored and
    /// statement triggers fire in).
    pub referenced: bool,
}

/// INSERT, UPDATE or DELETE of one relation. `returning` expressions are over
/// the full-width row inserted, the new row version of an update, or the row
/// deleted.
#[derive(Debug, Clone, PartialEq)]
pub enum ModifyTable {
    /// Inserts the rows of `PlannedStmt::plan`, which are full-width with
    /// defaults and assignment casts applied.
    Insert {
        rel: Arc<RelationDesc>,
        returning: Vec<Expr>,
        on_conflict: Option<OnConflictPlan>,
    },
    /// For each row of the relation that passes `filter`, replaces the columns
    /// of `assignments` (index into the full-width row, new value over the old
    /// row) and stores the new version.
    /// `scan`: the rows are found by this index or Tid Scan instead of a
    /// seqscan.
    Update {
        rel: Arc<RelationDesc>,
        filter: Option<Expr>,
        assignments: Vec<(usize, Expr)>,
        returning: Vec<Expr>,
        scan: Option<ModifyScan>,
        /// `UPDATE ... FROM`: the rows of the other FROM items. Then
        /// `filter`, the assignments and RETURNING read the target row
        /// followed by one of them, the first that passes `filter`.
        from: Option<Box<Plan>>,
    },
    /// Deletes each row of the relation that passes `filter`.
    Delete {
        rel: Arc<RelationDesc>,
        filter: Option<Expr>,
        returning: Vec<Expr>,
        scan: Option<ModifyScan>,
        /// `DELETE ... USING`: as `Update::from`.
        from: Option<Box<Plan>>,
    },
    /// MERGE (see [`MergePlan`]).
    Merge(Box<MergePlan>),
}

/// How an UPDATE or DELETE finds the rows of its table when a sequential
/// scan is not the way.
#[derive(Debug, Clone, PartialEq)]
pub enum ModifyScan {
    Index(IndexScan),
    Tid(TidScan),
}

/// MERGE INTO `rel` USING `source` ON `join`: each target row (of `rel`
/// and the descendants it reaches, in `rel`'s column layout) is paired
/// with the source rows that pass `join`; a pair takes the first
/// `matched` action whose condition holds, a source row that no target
/// row matched the first `not_matched` one. Every expression reads the
/// target row (all NULL when not matched) followed by the source row.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub rel: Arc<RelationDesc>,
    /// The source rows, full width.
    pub source: Plan,
    pub join: Expr,
    pub matched: Vec<MergeAction>,
    pub not_matched: Vec<MergeAction>,
}

/// One `WHEN ... [AND condition] THEN action` of MERGE.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeAction {
    pub condition: Option<Expr>,
    pub kind: MergeActionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MergeActionKind {
    /// UPDATE SET: (column index, new value) as `ModifyTable::Update`.
    Update(Vec<(usize, Expr)>),
    Delete,
    /// INSERT: the full-width row, defaults and casts applied.
    Insert(Vec<Expr>),
    Nothing,
}

impl ModifyTable {
    pub fn relation(&self) -> &Arc<RelationDesc> {
        match self {
            ModifyTable::Insert { rel, .. }
            | ModifyTable::Update { rel, .. }
            | ModifyTable::Delete { rel, .. } => rel,
            ModifyTable::Merge(m) => &m.rel,
        }
    }
}

/// The kind of statement, for its command tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Select,
    Insert,
    Update,
    Delete,
    Merge,
}

/// Table-level lock modes a plan asks for (PostgreSQL's names; the backend maps
/// them onto its lock manager).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockMode {
    /// SELECT
    AccessShare,
    /// SELECT ... FOR UPDATE/SHARE
    RowShare,
    /// INSERT, UPDATE, DELETE
    RowExclusive,
}

/// A relation the statement uses and the lock it must hold on it, from before
/// execution until the end of the transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationLock {
    pub rel: Arc<RelationDesc>,
    pub mode: LockMode,
    /// The privileges (`catalog::acl` bits) the current user needs on it:
    /// SELECT to read it, INSERT / UPDATE / DELETE to change it. Zero for
    /// inheritance children (the parent's privileges cover them).
    pub perms: u32,
    /// What the relation's uses inside views need: (view OID, privileges),
    /// checked as the view's owner (PostgreSQL's `checkAsUser`).
    pub view_perms: Vec<(u32, u32)>,
    /// The columns the statement reads, inserts and updates (by name), for
    /// a user who holds the privileges on columns rather than on the table.
    pub columns: ColumnUse,
}

/// The columns a statement uses of one relation (PostgreSQL's
/// `selectedCols`, `insertedCols`, `updatedCols`), by attribute number.
/// `unknown` when some use could not be traced to its columns: then only
/// table privileges will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnUse {
    pub select: Vec<i16>,
    pub insert: Vec<i16>,
    pub update: Vec<i16>,
    pub unknown: bool,
}
