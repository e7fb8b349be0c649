//! EXPLAIN: a [`PlannedStmt`] shown as PostgreSQL 15 shows the equivalent
//! plan tree (`src/backend/commands/explain.c`), in its node names, layout
//! and JSON structure.
//!
//! Our plan is one pipeline per query level (source -> filter -> aggregate
//! -> windows -> set-returning functions -> DISTINCT -> sort -> DISTINCT ON
//! -> row locks -> OFFSET/LIMIT, see `plan.rs`); EXPLAIN unfolds it into the
//! node tree PostgreSQL would print for what our executor does:
//!
//! ```text
//!   Plan stage                      node
//!   OFFSET/LIMIT                    Limit
//!   row_lock                        LockRows
//!   distinct_on                     Unique            (over the Sort)
//!   order_by                        Sort              Sort Key
//!   distinct                        HashAggregate     Group Key (a B-tree set)
//!   project_set                     ProjectSet
//!   windows                         WindowAgg         (+ Sort on its keys)
//!   aggregate                       Aggregate | HashAggregate  Group Key, Filter
//!   source + filter                 Seq Scan | Index [Only] Scan [Backward] |
//!                                   Bitmap Heap Scan | Hash Join | Nested Loop |
//!                                   Append | Values Scan | Function Scan | Result ...
//! ```
//!
//! Nodes carry a [`NodeKey`]: the address of the plan part they stand for
//! and a [`Stage`]. The executor, when asked to instrument a run
//! (`EXPLAIN ANALYZE`), counts rows and loops (and time, with TIMING) under
//! the same keys, so that the counts land on the node that shows them.
//!
//! Costs are a rough estimate ([`Cost`]): PostgreSQL's formulas with its
//! default cost constants, over a guessed table size (we keep no
//! `reltuples`/`relpages` yet) and PostgreSQL's default selectivities.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use types::oid;

use crate::PlannedStmt;
use crate::catalog::RelationDesc;
use crate::deparse::{DeparseContext, deparse_expr};
use crate::expr::{Expr, SubPlanKind};
use crate::plan::{
    AggCall, AggFunc, Bitmap, IndexScan, Join, JoinKind, ModifyTable, OnConflictAction,
    ParamIndexScan, Plan, SetOp, SetOpKind, SortKey, Source, WindowKind,
};

/// `FORMAT TEXT | JSON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// The options of `EXPLAIN (...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExplainOptions {
    pub analyze: bool,
    pub verbose: bool,
    pub costs: bool,
    pub buffers: bool,
    pub timing: bool,
    pub summary: bool,
    pub format: ExplainFormat,
}

impl Default for ExplainOptions {
    fn default() -> ExplainOptions {
        ExplainOptions {
            analyze: false,
            verbose: false,
            costs: true,
            buffers: false,
            timing: true,
            summary: false,
            format: ExplainFormat::Text,
        }
    }
}

/// Which part of a plan a node stands for (with the address of the plan
/// part, see [`NodeKey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// A source with the filter applied to it (a scan, a join, ...).
    Source,
    Aggregate,
    /// One WindowAgg: the index of its first window function.
    Window(usize),
    ProjectSet,
    Distinct,
    Sort,
    Unique,
    LockRows,
    Limit,
    /// The Append under a set operation.
    Append,
    /// ModifyTable.
    Modify,
}

/// Identifies a node between EXPLAIN and the executor: the address of the
/// plan part (a `Source`, a `Plan`, a `ModifyTable`) and the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeKey {
    pub addr: usize,
    pub stage: Stage,
}

impl NodeKey {
    /// The node of a source (its rows after the filter applied to it).
    pub fn source(s: &Source) -> NodeKey {
        NodeKey {
            addr: s as *const Source as usize,
            stage: Stage::Source,
        }
    }

    /// A node over a query level's source.
    pub fn plan(p: &Plan, stage: Stage) -> NodeKey {
        NodeKey {
            addr: p as *const Plan as usize,
            stage,
        }
    }

    /// The Append of a set operation.
    pub fn append(op: &SetOp) -> NodeKey {
        NodeKey {
            addr: op as *const SetOp as usize,
            stage: Stage::Append,
        }
    }

    /// A table modification (`stage` Modify), or its scan (`Source`).
    pub fn modify(m: &ModifyTable, stage: Stage) -> NodeKey {
        NodeKey {
            addr: m as *const ModifyTable as usize,
            stage,
        }
    }
}

/// What one node did in an instrumented run: summed over its loops.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NodeStats {
    pub loops: u64,
    pub rows: u64,
    /// Rows its filter removed.
    pub removed: u64,
    /// Time to the first row and to the end, summed over loops (ms).
    pub startup_ms: f64,
    pub total_ms: f64,
}

/// The counts of an instrumented run, by node.
pub type Instrumentation = HashMap<NodeKey, NodeStats>;

/// The estimated cost of a node, in PostgreSQL's units (a sequential page
/// read is 1.0).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub startup: f64,
    pub total: f64,
    pub rows: f64,
    pub width: i32,
}

use crate::selfuncs::{
    self, Origin, clamp_rows, cpu_index_tuple_cost, cpu_operator_cost, cpu_tuple_cost, rel_size,
    seq_page_cost, type_width,
};

/// A property of a node: text (`Filter: (a = 1)`) or a list (`Sort Key`).
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    Text(String),
    List(Vec<String>),
}

/// One node of the EXPLAIN tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainNode {
    /// JSON's "Node Type".
    pub node_type: &'static str,
    /// The text format's first line, before the cost.
    pub label: String,
    /// JSON fields printed right after "Node Type" ("Strategy", ...).
    pub head: Vec<(&'static str, String)>,
    /// JSON fields after "Async Capable" ("Relation Name", "Join Type", ...).
    pub fields: Vec<(&'static str, String)>,
    pub props: Vec<(&'static str, Prop)>,
    /// "Outer", "Inner", "Member", "InitPlan", "SubPlan".
    pub relationship: Option<&'static str>,
    /// "InitPlan 1 (returns $0)", "SubPlan 1".
    pub subplan_name: Option<String>,
    pub cost: Cost,
    pub key: Option<NodeKey>,
    /// The filter's label whose removed rows ANALYZE reports after it.
    pub removed_by: Option<&'static str>,
    /// The text format's lines naming each table an UPDATE or DELETE of
    /// an inheritance tree changes (`Update on c1 p_2`).
    pub target_lines: Vec<String>,
    pub children: Vec<ExplainNode>,
}

impl ExplainNode {
    fn new(node_type: &'static str, label: impl Into<String>) -> ExplainNode {
        ExplainNode {
            node_type,
            label: label.into(),
            head: Vec::new(),
            fields: Vec::new(),
            props: Vec::new(),
            relationship: None,
            subplan_name: None,
            cost: Cost::default(),
            key: None,
            removed_by: None,
            target_lines: Vec::new(),
            children: Vec::new(),
        }
    }

    fn prop(&mut self, label: &'static str, text: String) {
        self.props.push((label, Prop::Text(text)));
    }

    fn child(mut self, relationship: &'static str, mut child: ExplainNode) -> ExplainNode {
        child.relationship = Some(relationship);
        self.children.push(child);
        self
    }

    fn keyed(mut self, key: NodeKey) -> ExplainNode {
        self.key = Some(key);
        self
    }
}

/// A column of the row a node's expressions read: qualified and bare.
#[derive(Debug, Clone)]
struct Col {
    qualified: String,
    bare: String,
}

type Layout = Vec<Col>;

fn same_col(text: String) -> Col {
    Col {
        qualified: text.clone(),
        bare: text,
    }
}

/// An enclosing query level's correlated subquery: its params and the row
/// they are over, for the `OuterParam`s inside it.
#[derive(Clone)]
struct OuterLevel {
    params: Vec<Expr>,
    layout: Layout,
}

struct Builder {
    verbose: bool,
    /// Upper-level expressions (joins, sort and group keys) qualify their
    /// columns: PostgreSQL does when the range table has more than one entry.
    qualify: bool,
    /// The name each scanned relation got (by the address of its
    /// description), unique in the statement as PostgreSQL makes them.
    names: HashMap<usize, String>,
    used: HashSet<String>,
    subplans: usize,
    params: usize,
    outer: Vec<OuterLevel>,
    /// Subplans met while deparsing the current node's expressions.
    pending: Vec<ExplainNode>,
    /// The text each subplan already shown stands as: an expression
    /// deparsed twice (an index condition that is also in the filter, a
    /// copy of it) names it once.
    shown: Vec<(Plan, String)>,
    /// The names of the data-modifying WITH queries, by work table id.
    cte_names: HashMap<usize, String>,
}

/// The EXPLAIN tree of a planned statement.
pub fn build(stmt: &PlannedStmt, verbose: bool) -> ExplainNode {
    let mut entries = 0;
    count_entries_plan(&stmt.plan, &mut entries);
    if let Some(m) = &stmt.modify {
        entries += 1;
        if let ModifyTable::Update { from: Some(p), .. }
        | ModifyTable::Delete { from: Some(p), .. } = m
        {
            count_entries_plan(p, &mut entries);
        }
        if let ModifyTable::Merge(p) = m {
            count_entries_plan(&p.source, &mut entries);
        }
    }
    let mut b = Builder {
        verbose,
        qualify: verbose || entries > 1,
        names: HashMap::new(),
        used: HashSet::new(),
        subplans: 0,
        params: 0,
        outer: Vec::new(),
        pending: Vec::new(),
        shown: Vec::new(),
        cte_names: stmt
            .modifying_ctes
            .iter()
            .map(|c| (c.id, c.name.clone()))
            .collect(),
    };
    // A data-modifying WITH query shows as an InitPlan named `CTE name`
    // above the main plan's children, as PostgreSQL shows it.
    let ctes: Vec<ExplainNode> = stmt
        .modifying_ctes
        .iter()
        .map(|c| {
            let sub = PlannedStmt {
                columns: Vec::new(),
                param_types: Vec::new(),
                command: stmt.command,
                plan: c.plan.clone(),
                modify: Some(c.modify.clone()),
                relations: Vec::new(),
                call: None,
                modifying_ctes: Vec::new(),
                functions: Vec::new(),
            };
            let mut node = b.modify(&sub, &c.modify);
            node.relationship = Some("InitPlan");
            node.subplan_name = Some(format!("CTE {}", c.name));
            node
        })
        .collect();
    let mut root = match &stmt.modify {
        None => b.plan(&stmt.plan, stmt.columns.len()).0,
        Some(m) => b.modify(stmt, m),
    };
    if !ctes.is_empty() {
        let rest = std::mem::take(&mut root.children);
        root.children = ctes;
        root.children.extend(rest);
    }
    root
}

/// Counts the range-table entries PostgreSQL would have (its rule for
/// qualifying column names), roughly: scanned relations, VALUES lists,
/// functions, subqueries, also inside subqueries of expressions.
fn count_entries_plan(plan: &Plan, n: &mut usize) {
    count_entries_source(&plan.source, n);
    for e in plan_exprs(plan) {
        count_entries_expr(e, n);
    }
}

fn count_entries_expr(e: &Expr, n: &mut usize) {
    e.walk(&mut |x| {
        if let Expr::SubPlan { plan, .. } = x {
            count_entries_plan(plan, n);
        }
    });
}

fn count_entries_source(s: &Source, n: &mut usize) {
    match s {
        Source::Values(rows) => *n += usize::from(rows.len() != 1),
        Source::SeqScan(_)
        | Source::IndexScan(..)
        | Source::Bitmap(..)
        | Source::TidScan(..)
        | Source::Series(_)
        | Source::Function(_)
        | Source::WorkTable { .. } => *n += 1,
        Source::Subquery { plan, .. } => {
            *n += 1;
            count_entries_plan(plan, n);
        }
        Source::Join(j) => {
            count_entries_source(&j.left.source, n);
            count_entries_source(&j.right.source, n);
        }
        Source::SetOp(op) => {
            *n += 2;
            count_entries_plan(&op.left, n);
            count_entries_plan(&op.right, n);
        }
        Source::RecursiveUnion(r) => {
            *n += 1;
            count_entries_plan(&r.non_recursive, n);
            count_entries_plan(&r.recursive, n);
        }
        Source::Append { plans, .. } => {
            for p in plans {
                count_entries_plan(p, n);
            }
        }
    }
}

/// The expressions of one query level (not those of the plans in its source).
fn plan_exprs(plan: &Plan) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    out.extend(plan.targets.iter());
    out.extend(plan.filter.iter());
    if let Some(a) = &plan.aggregate {
        out.extend(a.group_by.iter());
        out.extend(a.aggs.iter().flat_map(AggCall::inputs));
        out.extend(a.having.iter());
    }
    if let Some(w) = &plan.windows {
        out.extend(w.funcs.iter().flat_map(|f| f.inputs()));
    }
    if let Some(p) = &plan.project_set {
        out.extend(p.funcs.iter().flat_map(|f| f.args.iter()));
    }
    out.extend(plan.limit.iter());
    out.extend(plan.offset.iter());
    if let Source::Values(rows) = &plan.source {
        out.extend(rows.iter().flatten());
    }
    out
}

fn conjuncts(e: &Expr) -> Vec<&Expr> {
    e.conjuncts()
}

/// Several conditions as PostgreSQL prints an implicit AND list.
fn and_text(parts: &[String]) -> String {
    match parts {
        [one] => one.clone(),
        many => format!("({})", many.join(" AND ")),
    }
}

fn log2(x: f64) -> f64 {
    if x > 1.0 { x.log2() } else { 1.0 }
}

struct Ctx<'a> {
    b: &'a mut Builder,
    layout: &'a [Col],
    qualify: bool,
}

impl DeparseContext for Ctx<'_> {
    fn column_name(&self, index: usize) -> String {
        match self.layout.get(index) {
            Some(c) if self.qualify => c.qualified.clone(),
            Some(c) => c.bare.clone(),
            None => format!("column{}", index + 1),
        }
    }

    fn regclass_text(&mut self, literal: &str) -> String {
        literal.to_owned()
    }

    fn folded(&self) -> bool {
        true
    }

    fn special(&mut self, x: &Expr) -> Option<String> {
        match x {
            Expr::SubPlan {
                kind,
                plan,
                params,
                test,
                ..
            } => Some(
                self.b
                    .subplan(*kind, plan, params, test.as_deref(), self.layout),
            ),
            Expr::OuterParam { up, index, .. } => {
                let depth = self.b.outer.len();
                if *up == 0 || *up > depth {
                    return Some(format!("${index}"));
                }
                let level = self.b.outer[depth - up].clone();
                let param = level.params.get(*index)?.clone();
                // The parameter's expression, over the row of the level it
                // comes from, is what PostgreSQL prints in its place.
                let saved = self.b.outer.split_off(depth - up);
                let text = self.b.expr_in(&param, &level.layout, true);
                self.b.outer.extend(saved);
                Some(text)
            }
            // A constant under an implicit cast is folded by PostgreSQL's
            // planner, or compared by a cross-type operator (int8 = int4).
            Expr::Cast {
                arg,
                from,
                to,
                explicit: false,
                ..
            } if *from != oid::UNKNOWN
                && let Expr::Const { value, .. } = &**arg =>
            {
                if value.is_null() {
                    return None;
                }
                let text = value.to_text(&types::datum::OutputOptions::default());
                match (*from, *to) {
                    (oid::INT2 | oid::INT4, oid::INT8) if !text.starts_with('-') => Some(text),
                    (oid::INT2 | oid::INT4 | oid::INT8, oid::NUMERIC | oid::FLOAT8) => {
                        Some(format!("'{text}'::{}", oid::format_type(*to, -1)))
                    }
                    _ => None,
                }
            }
            Expr::SqlFunction { args, .. } => {
                let a: Vec<String> = args
                    .iter()
                    .map(|a| self.b.expr_in(a, self.layout, self.qualify))
                    .collect();
                Some(format!("sql_function({})", a.join(", ")))
            }
            Expr::UserCall { func, args, .. } => {
                let a: Vec<String> = args
                    .iter()
                    .map(|a| self.b.expr_in(a, self.layout, self.qualify))
                    .collect();
                Some(format!("{}({})", func.name, a.join(", ")))
            }
            _ => None,
        }
    }
}

impl Builder {
    fn expr_in(&mut self, e: &Expr, layout: &[Col], qualify: bool) -> String {
        let mut ctx = Ctx {
            b: self,
            layout,
            qualify,
        };
        deparse_expr(e, &mut ctx, false)
    }

    /// A scan-level expression: unqualified unless VERBOSE.
    fn scan_expr(&mut self, e: &Expr, layout: &[Col]) -> String {
        let q = self.verbose;
        self.expr_in(e, layout, q)
    }

    /// An upper-level expression (join conditions, keys).
    fn upper_expr(&mut self, e: &Expr, layout: &[Col]) -> String {
        let q = self.qualify;
        self.expr_in(e, layout, q)
    }

    /// Attaches the subplans met while deparsing to `node`.
    fn take_subplans(&mut self, node: &mut ExplainNode) {
        let pending = std::mem::take(&mut self.pending);
        // InitPlans before the node's children, SubPlans after them.
        let (init, sub): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|n| n.relationship == Some("InitPlan"));
        let mut children = init;
        children.append(&mut node.children);
        children.extend(sub);
        node.children = children;
    }

    /// A subquery in an expression: its node is set aside for the node
    /// being built; the text stands in the expression.
    fn subplan(
        &mut self,
        kind: SubPlanKind,
        plan: &Plan,
        params: &[Expr],
        test: Option<&(Expr, Expr)>,
        layout: &[Col],
    ) -> String {
        if let Some((_, text)) = self.shown.iter().find(|(p, _)| p == plan) {
            return text.clone();
        }
        self.subplans += 1;
        let number = self.subplans;
        let init = params.is_empty();
        let saved_pending = std::mem::take(&mut self.pending);
        self.outer.push(OuterLevel {
            params: params.to_vec(),
            layout: layout.to_vec(),
        });
        let (mut node, _) = self.plan(plan, plan.targets.len().max(1));
        self.outer.pop();
        self.pending = saved_pending;
        let (name, text) = if init && kind != SubPlanKind::Any {
            let p = self.params;
            self.params += 1;
            (format!("InitPlan {number} (returns ${p})"), format!("${p}"))
        } else if init {
            (
                format!("SubPlan {number}"),
                format!("(hashed SubPlan {number})"),
            )
        } else {
            (format!("SubPlan {number}"), format!("(SubPlan {number})"))
        };
        let text = match (kind, test) {
            (SubPlanKind::Any, Some((lhs, _))) if !init => {
                let l = self.upper_expr(lhs, layout);
                format!("({l} = ANY ({text}))")
            }
            _ => text,
        };
        node.relationship = Some(if init && kind != SubPlanKind::Any {
            "InitPlan"
        } else {
            "SubPlan"
        });
        node.subplan_name = Some(name);
        self.pending.push(node);
        self.shown.push((plan.clone(), text.clone()));
        text
    }

    /// The name of a scanned relation, unique in the statement.
    fn refname(&mut self, rel: &Arc<RelationDesc>) -> String {
        let addr = Arc::as_ptr(rel) as usize;
        if let Some(n) = self.names.get(&addr) {
            return n.clone();
        }
        // A row security subquery's scan (not pulled up) is named as its
        // FROM item.
        let alias = rel.alias.as_deref().map(|a| {
            a.strip_prefix(crate::analyze::rowsecurity::RLS_SCAN_MARK)
                .unwrap_or(a)
        });
        let base = alias
            .filter(|a| !a.is_empty())
            .map_or_else(|| rel.name.clone(), str::to_string);
        let mut name = base.clone();
        let mut i = 0;
        while self.used.contains(&name) {
            i += 1;
            name = format!("{base}_{i}");
        }
        self.used.insert(name.clone());
        self.names.insert(addr, name.clone());
        name
    }

    /// `t`, `t x` or (VERBOSE) `public.t x`.
    fn rel_label(&mut self, rel: &Arc<RelationDesc>) -> (String, String) {
        let refname = self.refname(rel);
        let relname = if self.verbose {
            format!("{}.{}", quote_ident(&rel.schema), quote_ident(&rel.name))
        } else {
            quote_ident(&rel.name)
        };
        let label = if refname == rel.name {
            relname
        } else {
            format!("{relname} {}", quote_ident(&refname))
        };
        (label, refname)
    }

    fn rel_layout(&mut self, rel: &Arc<RelationDesc>) -> Layout {
        let refname = self.refname(rel);
        // A scan that carries the system columns has them after the
        // columns (see `RelationDesc::system_columns`).
        let system = crate::catalog::SYSTEM_COLUMNS
            .iter()
            .map(|(name, _, _)| *name)
            .filter(|_| rel.system_columns);
        rel.columns
            .iter()
            .map(|c| c.name.as_str())
            .chain(system)
            .map(|name| Col {
                qualified: format!("{}.{}", quote_ident(&refname), quote_ident(name)),
                bare: quote_ident(name),
            })
            .collect()
    }

    fn rel_fields(&mut self, node: &mut ExplainNode, rel: &Arc<RelationDesc>) {
        let refname = self.refname(rel);
        node.fields.push(("Relation Name", rel.name.clone()));
        if self.verbose {
            node.fields.push(("Schema", rel.schema.clone()));
        }
        node.fields.push(("Alias", refname));
    }

    /// The filter of a node, less the conditions an index already applies
    /// (their texts), as "Filter".
    fn filter_prop(
        &mut self,
        node: &mut ExplainNode,
        filter: Option<&Expr>,
        layout: &[Col],
        scan_level: bool,
        covered: &[String],
        origins: &[Origin],
    ) {
        let Some(f) = filter else { return };
        let mut parts = Vec::new();
        for c in conjuncts(f) {
            let t = if scan_level {
                self.scan_expr(c, layout)
            } else {
                self.upper_expr(c, layout)
            };
            if !covered.contains(&t) {
                parts.push(t);
            }
        }
        if !parts.is_empty() {
            node.prop("Filter", and_text(&parts));
            node.removed_by = Some("Filter");
            node.cost.rows = clamp_rows(node.cost.rows * selfuncs::clause_selectivity(f, origins));
        }
    }

    /// The conditions of an index scan, one text each.
    fn index_conds(
        &mut self,
        rel: &Arc<RelationDesc>,
        scan: &IndexScan,
        layout: &[Col],
    ) -> Vec<String> {
        let Some(index) = rel.indexes.iter().find(|i| i.oid == scan.index_oid) else {
            return Vec::new();
        };
        let key = |b: &mut Builder, i: usize| -> String {
            match index.exprs.get(i) {
                Some(Some(e)) => {
                    let t = b.scan_expr(e, layout);
                    if t.starts_with('(') {
                        t
                    } else {
                        format!("({t})")
                    }
                }
                _ => index
                    .columns
                    .get(i)
                    .and_then(|c| layout.get(*c))
                    .map(|c| {
                        if b.verbose {
                            c.qualified.clone()
                        } else {
                            c.bare.clone()
                        }
                    })
                    .unwrap_or_default(),
            }
        };
        let mut conds = Vec::new();
        if !scan.in_list.is_empty() {
            let k = key(self, 0);
            let opts = types::datum::OutputOptions::default();
            let consts: Option<Vec<String>> = scan
                .in_list
                .iter()
                .map(|v| match v {
                    Expr::Const { value, .. } if !value.is_null() => Some(value.to_text(&opts)),
                    _ => None,
                })
                .collect();
            let type_oid = scan.in_list.first().map_or(oid::INT4, Expr::type_oid);
            let array = match consts {
                // An array constant, as PostgreSQL folds the list.
                Some(values) => format!(
                    "'{{{}}}'::{}[]",
                    values.join(","),
                    oid::format_type(type_oid, -1)
                ),
                None => {
                    let values: Vec<String> = scan
                        .in_list
                        .iter()
                        .map(|v| self.scan_expr(v, layout))
                        .collect();
                    format!("ARRAY[{}]", values.join(", "))
                }
            };
            conds.push(format!("({k} = ANY ({array}))"));
            return conds;
        }
        let lower = scan.lower.as_ref();
        let upper = scan.upper.as_ref();
        let lv: &[Expr] = lower.map_or(&[], |b| &b.values);
        let uv: &[Expr] = upper.map_or(&[], |b| &b.values);
        let mut prefix = lv.iter().zip(uv).take_while(|(a, b)| a == b).count();
        let all_equal = lv.len() == uv.len()
            && prefix == lv.len()
            && lower.is_some_and(|b| b.inclusive)
            && upper.is_some_and(|b| b.inclusive);
        if !all_equal && prefix == lv.len().min(uv.len()) && prefix > 0 && lv.len() == uv.len() {
            // The last column is a range whose ends are the same value
            // but one is exclusive: no equality there.
            prefix -= 1;
        }
        for (i, v) in lv.iter().enumerate().take(prefix) {
            let k = key(self, i);
            let v = self.scan_expr(v, layout);
            conds.push(format!("({k} = {v})"));
        }
        if !all_equal {
            if let Some(b) = lower
                && lv.len() > prefix
            {
                let k = key(self, lv.len() - 1);
                let v = self.scan_expr(&lv[lv.len() - 1], layout);
                let desc = index.descending.get(lv.len() - 1).copied().unwrap_or(false);
                let op = match (b.inclusive, desc) {
                    (true, false) => ">=",
                    (false, false) => ">",
                    (true, true) => "<=",
                    (false, true) => "<",
                };
                conds.push(format!("({k} {op} {v})"));
            }
            if let Some(b) = upper
                && uv.len() > prefix
            {
                let k = key(self, uv.len() - 1);
                let v = self.scan_expr(&uv[uv.len() - 1], layout);
                let desc = index.descending.get(uv.len() - 1).copied().unwrap_or(false);
                let op = match (b.inclusive, desc) {
                    (true, false) => "<=",
                    (false, false) => "<",
                    (true, true) => ">=",
                    (false, true) => ">",
                };
                conds.push(format!("({k} {op} {v})"));
            }
        } else {
            for (i, v) in lv.iter().enumerate().skip(prefix) {
                let k = key(self, i);
                let v = self.scan_expr(v, layout);
                conds.push(format!("({k} = {v})"));
            }
        }
        conds
    }

    fn index_name(rel: &RelationDesc, oid: u32) -> String {
        rel.indexes
            .iter()
            .find(|i| i.oid == oid)
            .map_or_else(|| format!("index {oid}"), |i| quote_ident(&i.name))
    }

    /// An index scan node of `rel`.
    fn index_scan_node(
        &mut self,
        rel: &Arc<RelationDesc>,
        scan: &IndexScan,
        layout: &[Col],
    ) -> (ExplainNode, Vec<String>) {
        let (rel_label, _) = self.rel_label(rel);
        let kind = if scan.index_only {
            "Index Only Scan"
        } else {
            "Index Scan"
        };
        let dir = if scan.backward { " Backward" } else { "" };
        let index = Self::index_name(rel, scan.index_oid);
        let mut node = ExplainNode::new(kind, format!("{kind}{dir} using {index} on {rel_label}"));
        node.fields.push((
            "Scan Direction",
            if scan.backward { "Backward" } else { "Forward" }.into(),
        ));
        node.fields.push((
            "Index Name",
            rel.indexes
                .iter()
                .find(|i| i.oid == scan.index_oid)
                .map_or_else(String::new, |i| i.name.clone()),
        ));
        self.rel_fields(&mut node, rel);
        let conds = self.index_conds(rel, scan, layout);
        if !conds.is_empty() {
            node.prop("Index Cond", and_text(&conds));
        }
        let (_, tuples, width) = rel_size(rel);
        let sel = selfuncs::index_selectivity(rel, scan);
        let rows = clamp_rows(tuples * sel);
        let col = selfuncs::index_leading_column(rel, scan.index_oid);
        let total = selfuncs::index_scan_cost(rel, sel, col, 0, 1.0, scan.index_only);
        node.cost = Cost {
            startup: 0.29,
            total: total.max(0.29),
            rows,
            width,
        };
        (node, conds)
    }

    /// A bitmap's index conditions as an AND list, and its node.
    fn bitmap_node(
        &mut self,
        rel: &Arc<RelationDesc>,
        bitmap: &Bitmap,
        layout: &[Col],
    ) -> (ExplainNode, Vec<String>) {
        match bitmap {
            Bitmap::Index(scan) => {
                let conds = self.index_conds(rel, scan, layout);
                let index = Self::index_name(rel, scan.index_oid);
                let mut node =
                    ExplainNode::new("Bitmap Index Scan", format!("Bitmap Index Scan on {index}"));
                node.fields.push((
                    "Index Name",
                    rel.indexes
                        .iter()
                        .find(|i| i.oid == scan.index_oid)
                        .map_or_else(String::new, |i| i.name.clone()),
                ));
                if !conds.is_empty() {
                    node.prop("Index Cond", and_text(&conds));
                }
                let (_, tuples, _) = rel_size(rel);
                let rows = clamp_rows(tuples * selfuncs::index_selectivity(rel, scan));
                node.cost = Cost {
                    startup: 0.0,
                    total: 4.0 + rows * cpu_index_tuple_cost(),
                    rows,
                    width: 0,
                };
                (node, conds)
            }
            Bitmap::Or(parts) | Bitmap::And(parts) => {
                let or = matches!(bitmap, Bitmap::Or(_));
                let name = if or { "BitmapOr" } else { "BitmapAnd" };
                let mut node = ExplainNode::new(name, name);
                let mut texts = Vec::new();
                let mut conds = Vec::new();
                let (_, tuples, _) = rel_size(rel);
                let mut sel = if or { 0.0 } else { 1.0 };
                for p in parts {
                    let (child, c) = self.bitmap_node(rel, p, layout);
                    node.cost.total += child.cost.total;
                    let s = (child.cost.rows / tuples.max(1.0)).min(1.0);
                    sel = if or { sel + s - sel * s } else { sel * s };
                    node.cost.rows = clamp_rows(tuples * sel);
                    node = node.child("Member", child);
                    texts.push(and_text(&c));
                    conds.extend(c);
                }
                node.cost.startup = node.cost.total;
                if or {
                    (node, vec![format!("({})", texts.join(" OR "))])
                } else {
                    (node, conds)
                }
            }
        }
    }

    /// A source with the filter applied to it: its node and the layout of
    /// its rows.
    fn source(&mut self, source: &Source, filter: Option<&Expr>) -> (ExplainNode, Layout) {
        let key = NodeKey::source(source);
        match source {
            Source::SeqScan(rel) => {
                let layout = self.rel_layout(rel);
                let (label, _) = self.rel_label(rel);
                let mut node = ExplainNode::new("Seq Scan", format!("Seq Scan on {label}"));
                self.rel_fields(&mut node, rel);
                let (pages, tuples, width) = rel_size(rel);
                let quals = filter.map_or(0, |f| conjuncts(f).len()) as f64;
                node.cost = Cost {
                    startup: 0.0,
                    total: seq_page_cost() * pages
                        + tuples * (cpu_tuple_cost() + cpu_operator_cost() * quals),
                    rows: tuples,
                    width,
                };
                let origins = selfuncs::origins(source);
                self.filter_prop(&mut node, filter, &layout, true, &[], &origins);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::IndexScan(rel, scan) => {
                let layout = self.rel_layout(rel);
                let (mut node, conds) = self.index_scan_node(rel, scan, &layout);
                // The IN list the scan reads is its Index Cond, not a Filter.
                let rest: Vec<Expr> = filter
                    .map(conjuncts)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|c| !crate::indexpath::is_scanned_in_list(c, rel, scan))
                    .cloned()
                    .collect();
                let rest = match rest.len() {
                    0 => None,
                    1 => rest.into_iter().next(),
                    _ => Some(Expr::And(rest)),
                };
                self.filter_prop(&mut node, rest.as_ref(), &layout, true, &conds, &[]);
                let (_, tuples, _) = rel_size(rel);
                node.cost.rows = clamp_rows(tuples * selfuncs::rel_selectivity(rel, filter));
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::Bitmap(rel, bitmap) => {
                let layout = self.rel_layout(rel);
                let (label, _) = self.rel_label(rel);
                let (child, conds) = self.bitmap_node(rel, bitmap, &layout);
                let mut node =
                    ExplainNode::new("Bitmap Heap Scan", format!("Bitmap Heap Scan on {label}"));
                self.rel_fields(&mut node, rel);
                node.prop("Recheck Cond", and_text(&conds));
                let (_, tuples, width) = rel_size(rel);
                let sel = selfuncs::rel_selectivity(rel, filter);
                let index_sel = (child.cost.rows / tuples.max(1.0)).min(1.0);
                let quals = filter.map_or(0, |f| conjuncts(f).len());
                let col = crate::indexpath::bitmap_leading_column(rel, bitmap);
                let total = selfuncs::bitmap_scan_cost(rel, index_sel, col, 1, quals);
                node.cost = Cost {
                    startup: child.cost.total,
                    total: total.max(child.cost.total),
                    rows: clamp_rows(tuples * sel),
                    width,
                };
                let mut covered = conds.clone();
                covered.extend(conds.iter().map(|c| c.to_owned()));
                self.filter_prop(&mut node, filter, &layout, true, &covered, &[]);
                node.cost.rows = clamp_rows(tuples * sel);
                self.take_subplans(&mut node);
                (node.child("Outer", child).keyed(key), layout)
            }
            Source::TidScan(rel, scan) => {
                let layout = self.rel_layout(rel);
                let (label, _) = self.rel_label(rel);
                let kind = match scan.kind {
                    crate::plan::TidScanKind::List(_) => "Tid Scan",
                    crate::plan::TidScanKind::Range { .. } => "Tid Range Scan",
                };
                let mut node = ExplainNode::new(kind, format!("{kind} on {label}"));
                self.rel_fields(&mut node, rel);
                let conds: Vec<String> = scan
                    .conds
                    .iter()
                    .map(|c| self.scan_expr(c, &layout))
                    .collect();
                node.prop("TID Cond", and_text(&conds));
                let (_, tuples, width) = rel_size(rel);
                let quals = filter.map_or(0, |f| conjuncts(f).len());
                node.cost = Cost {
                    startup: 0.0,
                    total: crate::tidpath::tid_scan_cost(rel, scan, quals),
                    rows: clamp_rows(tuples * selfuncs::rel_selectivity(rel, filter)),
                    width,
                };
                let rows = node.cost.rows;
                self.filter_prop(&mut node, filter, &layout, true, &conds, &[]);
                node.cost.rows = rows;
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::Values(rows) if rows.len() == 1 => {
                let mut node = ExplainNode::new("Result", "Result");
                let layout: Layout = rows[0]
                    .iter()
                    .map(|e| {
                        let t = self.scan_expr(e, &[]);
                        same_col(t)
                    })
                    .collect();
                if let Some(f) = filter {
                    let t = self.scan_expr(f, &layout);
                    node.prop("One-Time Filter", t);
                }
                node.cost = Cost {
                    startup: 0.0,
                    total: 0.01,
                    rows: 1.0,
                    width: rows[0].iter().map(|e| type_width(e.type_oid(), -1)).sum(),
                };
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::Values(rows) => {
                let width = rows.first().map_or(0, Vec::len);
                let layout: Layout = (1..=width)
                    .map(|i| Col {
                        qualified: format!("\"*VALUES*\".column{i}"),
                        bare: format!("column{i}"),
                    })
                    .collect();
                let mut node =
                    ExplainNode::new("Values Scan", "Values Scan on \"*VALUES*\"".to_owned());
                node.fields.push(("Alias", "*VALUES*".into()));
                node.cost = Cost {
                    startup: 0.0,
                    total: rows.len() as f64 * cpu_operator_cost() * 5.0,
                    rows: rows.len() as f64,
                    width: rows
                        .first()
                        .map_or(0, |r| r.iter().map(|e| type_width(e.type_oid(), -1)).sum()),
                };
                self.filter_prop(&mut node, filter, &layout, true, &[], &[]);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::Series(s) => {
                let name = if s.array.is_some() {
                    "unnest"
                } else {
                    "generate_series"
                };
                let layout = vec![Col {
                    qualified: format!("{name}.{name}"),
                    bare: name.to_owned(),
                }];
                let mut node =
                    ExplainNode::new("Function Scan", format!("Function Scan on {name}"));
                node.fields.push(("Function Name", name.into()));
                node.fields.push(("Alias", name.into()));
                node.cost = Cost {
                    startup: 0.0,
                    total: 10.0,
                    rows: 1000.0,
                    width: type_width(s.type_oid, -1),
                };
                self.filter_prop(&mut node, filter, &layout, true, &[], &[]);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::Function(f) => {
                let name = f.func.func.to_owned();
                let layout: Layout = if f.types.len() == 1 {
                    vec![Col {
                        qualified: format!("{name}.{name}"),
                        bare: name.clone(),
                    }]
                } else {
                    (1..=f.types.len())
                        .map(|i| Col {
                            qualified: format!("{name}.column{i}"),
                            bare: format!("column{i}"),
                        })
                        .collect()
                };
                let mut node =
                    ExplainNode::new("Function Scan", format!("Function Scan on {name}"));
                node.fields.push(("Function Name", name.clone()));
                node.fields.push(("Alias", name));
                node.cost = Cost {
                    startup: 0.0,
                    total: 10.0,
                    rows: 1000.0,
                    width: f.types.iter().map(|t| type_width(*t, -1)).sum(),
                };
                self.filter_prop(&mut node, filter, &layout, true, &[], &[]);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::WorkTable { id, width } => {
                let layout: Layout = (1..=*width)
                    .map(|i| same_col(format!("column{i}")))
                    .collect();
                let mut node = match self.cte_names.get(id) {
                    Some(name) => ExplainNode::new("CTE Scan", format!("CTE Scan on {name}")),
                    None => ExplainNode::new("WorkTable Scan", "WorkTable Scan on worktable"),
                };
                node.cost = Cost {
                    startup: 0.0,
                    total: 10.0,
                    rows: 100.0,
                    width: 32 * *width as i32,
                };
                self.filter_prop(&mut node, filter, &layout, true, &[], &[]);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::Subquery {
                plan,
                width,
                params,
            } => {
                // A LATERAL subquery's OuterParams read the left row: its
                // join pushed that level (see `join`).
                let _ = params;
                let (inner, inner_layout) = self.plan(plan, *width);
                // Its columns are its targets' expressions, as PostgreSQL
                // prints them once it pulled the subquery up.
                let layout: Layout = match (&plan.aggregate, &plan.windows, &plan.project_set) {
                    (None, None, None) => plan
                        .targets
                        .iter()
                        .take(*width)
                        .map(|t| {
                            let q = self.upper_expr(t, &inner_layout);
                            let b = self.scan_expr(t, &inner_layout);
                            Col {
                                qualified: q,
                                bare: b,
                            }
                        })
                        .collect(),
                    _ => (1..=*width)
                        .map(|i| Col {
                            qualified: format!("subquery.column{i}"),
                            bare: format!("column{i}"),
                        })
                        .collect(),
                };
                match filter {
                    None => {
                        let mut inner = inner;
                        if inner.key.is_none() {
                            inner.key = Some(key);
                        }
                        (inner, layout)
                    }
                    Some(_) => {
                        let mut node =
                            ExplainNode::new("Subquery Scan", "Subquery Scan on subquery");
                        node.fields.push(("Alias", "subquery".into()));
                        node.cost = inner.cost;
                        self.filter_prop(&mut node, filter, &layout, true, &[], &[]);
                        self.take_subplans(&mut node);
                        (node.child("Outer", inner).keyed(key), layout)
                    }
                }
            }
            Source::Join(j) => self.join(j, filter, key),
            Source::SetOp(op) => {
                let (node, layout) = self.setop(op, key);
                let mut node = node;
                self.filter_prop(&mut node, filter, &layout, false, &[], &[]);
                self.take_subplans(&mut node);
                (node, layout)
            }
            Source::Append { plans, width, .. } if plans.len() == 1 && filter.is_none() => {
                // One member left: PostgreSQL drops the Append.
                let (mut node, child_layout) = self.plan(&plans[0], *width);
                let layout = plans[0]
                    .targets
                    .iter()
                    .take(*width)
                    .map(|t| Col {
                        qualified: self.upper_expr(t, &child_layout),
                        bare: self.scan_expr(t, &child_layout),
                    })
                    .collect();
                if node.key.is_none() {
                    node.key = Some(key);
                }
                (node, layout)
            }
            Source::Append { plans, width, .. } => {
                let mut node = ExplainNode::new("Append", "Append");
                let mut layout: Layout = Vec::new();
                let mut cost = Cost {
                    startup: 0.0,
                    total: 0.0,
                    rows: 0.0,
                    width: 0,
                };
                for (i, p) in plans.iter().enumerate() {
                    let (child, child_layout) = self.plan(p, *width);
                    if i == 0 {
                        layout = p
                            .targets
                            .iter()
                            .take(*width)
                            .map(|t| Col {
                                qualified: self.upper_expr(t, &child_layout),
                                bare: self.scan_expr(t, &child_layout),
                            })
                            .collect();
                    }
                    cost.total += child.cost.total;
                    cost.rows += child.cost.rows;
                    cost.width = cost.width.max(child.cost.width);
                    node = node.child("Member", child);
                }
                if plans.is_empty() {
                    node = ExplainNode::new("Result", "Result");
                    node.props
                        .push(("One-Time Filter", Prop::Text("false".into())));
                    layout = (1..=*width)
                        .map(|i| same_col(format!("column{i}")))
                        .collect();
                }
                node.cost = cost;
                self.filter_prop(&mut node, filter, &layout, false, &[], &[]);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
            Source::RecursiveUnion(r) => {
                let (left, _) = self.plan(&r.non_recursive, r.width);
                let (right, _) = self.plan(&r.recursive, r.width);
                let layout: Layout = (1..=r.width)
                    .map(|i| same_col(format!("column{i}")))
                    .collect();
                let mut node = ExplainNode::new("Recursive Union", "Recursive Union");
                node.cost = Cost {
                    startup: 0.0,
                    total: left.cost.total + right.cost.total * 10.0,
                    rows: left.cost.rows + right.cost.rows * 10.0,
                    width: left.cost.width,
                };
                let mut node = node.child("Outer", left).child("Inner", right);
                self.filter_prop(&mut node, filter, &layout, false, &[], &[]);
                self.take_subplans(&mut node);
                (node.keyed(key), layout)
            }
        }
    }

    fn join(&mut self, j: &Join, filter: Option<&Expr>, key: NodeKey) -> (ExplainNode, Layout) {
        let (node, layout) = self.join_as_built(j, filter, key);
        match &j.output {
            // A reordered tree: what reads its rows sees them as written.
            Some(output) => {
                let layout = output
                    .iter()
                    .filter_map(|&c| layout.get(c).cloned())
                    .collect();
                (node, layout)
            }
            None => (node, layout),
        }
    }

    fn join_as_built(
        &mut self,
        j: &Join,
        filter: Option<&Expr>,
        key: NodeKey,
    ) -> (ExplainNode, Layout) {
        if let Some(probe) = &j.probe_left {
            // Driven by the right input: its rows look the left rows up.
            let (right, right_layout) = self.source(&j.right.source, j.right.filter.as_ref());
            let loops = crate::joinpath::param_loops(probe, &j.right, right.cost.rows);
            let (left, left_layout) = self.param_scan(
                probe,
                &j.left.source,
                j.left.filter.as_ref(),
                &right_layout,
                loops,
            );
            return self.join_node(j, filter, key, (left, left_layout), (right, right_layout));
        }
        let (left, left_layout) = self.source(&j.left.source, j.left.filter.as_ref());
        let lateral = !j.right.source.lateral_params().is_empty();
        if lateral {
            self.outer.push(OuterLevel {
                params: j.right.source.lateral_params().to_vec(),
                layout: left_layout.clone(),
            });
        }
        let (right, right_layout) = match &j.inner_index {
            Some(probe) if !lateral => self.param_scan(
                probe,
                &j.right.source,
                j.right.filter.as_ref(),
                &left_layout,
                crate::joinpath::param_loops(probe, &j.left, left.cost.rows),
            ),
            _ => self.source(&j.right.source, j.right.filter.as_ref()),
        };
        if lateral {
            self.outer.pop();
        }
        self.join_node(j, filter, key, (left, left_layout), (right, right_layout))
    }

    /// A nested loop's inner index scan, run once per row of the other
    /// input with its key columns equal to expressions over that row
    /// (`driver` its layout; `loops` what one scan's costs are amortized
    /// over, `joinpath::param_loops`).
    fn param_scan(
        &mut self,
        probe: &ParamIndexScan,
        source: &Source,
        filter: Option<&Expr>,
        driver: &Layout,
        loops: f64,
    ) -> (ExplainNode, Layout) {
        let layout = self.rel_layout(&probe.rel);
        let scan = IndexScan::whole(probe.index_oid, probe.index_only, false);
        let (mut node, _) = self.index_scan_node(&probe.rel, &scan, &layout);
        let index = probe.rel.indexes.iter().find(|i| i.oid == probe.index_oid);
        let mut conds = Vec::new();
        for (i, k) in probe.keys.iter().enumerate() {
            let col = index
                .and_then(|x| x.columns.get(i))
                .and_then(|c| layout.get(*c))
                .map_or_else(String::new, |c| {
                    if self.verbose {
                        c.qualified.clone()
                    } else {
                        c.bare.clone()
                    }
                });
            let v = self.expr_in(k, driver, true);
            conds.push(format!("({col} = {v})"));
        }
        node.props.clear();
        node.prop("Index Cond", and_text(&conds));
        let cols: Vec<usize> = index.map_or_else(Vec::new, |x| {
            x.columns.iter().take(probe.keys.len()).copied().collect()
        });
        let sel = selfuncs::param_eq_selectivity(&probe.rel, &cols);
        let (_, tuples, _) = rel_size(&probe.rel);
        let loops = loops.max(1.0);
        let col = selfuncs::index_leading_column(&probe.rel, probe.index_oid);
        node.cost.total =
            selfuncs::index_scan_cost(&probe.rel, sel, col, 0, loops, probe.index_only) / loops;
        node.cost.rows = clamp_rows(tuples * sel * selfuncs::rel_selectivity(&probe.rel, filter));
        let per_loop = node.cost.rows;
        let covered: Vec<String> = Vec::new();
        self.filter_prop(&mut node, filter, &layout, true, &covered, &[]);
        node.cost.rows = per_loop;
        self.take_subplans(&mut node);
        (node.keyed(NodeKey::source(source)), layout)
    }

    /// The node of a join over its inputs' nodes.
    fn join_node(
        &mut self,
        j: &Join,
        filter: Option<&Expr>,
        key: NodeKey,
        (left, left_layout): (ExplainNode, Layout),
        (right, right_layout): (ExplainNode, Layout),
    ) -> (ExplainNode, Layout) {
        let lateral = !j.right.source.lateral_params().is_empty();
        let mut layout = left_layout;
        layout.resize(j.left.width, same_col("?column?".into()));
        let mut right_layout = right_layout;
        right_layout.resize(j.right.width, same_col("?column?".into()));
        layout.extend(right_layout);
        // A semi join whose right rows are unique on its keys is an inner
        // join (PostgreSQL's reduce_unique_semijoins).
        let unique_semi = j.kind == JoinKind::Semi && crate::joinpath::right_unique_on_keys(j);
        let kind = match j.kind {
            _ if unique_semi => "Inner",
            JoinKind::Inner => "Inner",
            JoinKind::Left => "Left",
            JoinKind::Right => "Right",
            JoinKind::Full => "Full",
            JoinKind::Semi => "Semi",
            JoinKind::Anti => "Anti",
        };
        let suffix = match j.kind {
            _ if unique_semi => "",
            JoinKind::Inner => "",
            JoinKind::Left => " Left Join",
            JoinKind::Right => " Right Join",
            JoinKind::Full => " Full Join",
            JoinKind::Semi => " Semi Join",
            JoinKind::Anti => " Anti Join",
        };
        let hashed = !j.hash_keys.is_empty()
            && (j.inner_index.is_none() || lateral)
            && j.probe_left.is_none();
        let rows = selfuncs::join_rows(j);
        let width = left.cost.width + right.cost.width;
        let mut node = if hashed && !lateral {
            // Hashing the left side swaps the inputs' roles: a LEFT JOIN
            // becomes PostgreSQL's Hash Right Join.
            let (kind, suffix) = match (j.hash_left, j.kind) {
                (true, JoinKind::Left) => ("Right", " Right Join"),
                _ => (kind, suffix),
            };
            let mut node = ExplainNode::new(
                "Hash Join",
                format!("Hash{}", if suffix.is_empty() { " Join" } else { suffix }),
            );
            node.fields.push(("Join Type", kind.into()));
            let conds: Vec<String> = j
                .hash_keys
                .iter()
                .map(|(l, r)| {
                    let l = self.upper_expr(l, &layout[..j.left.width]);
                    let r = self.upper_expr(r, &layout[j.left.width..]);
                    if j.hash_left {
                        format!("({r} = {l})")
                    } else {
                        format!("({l} = {r})")
                    }
                })
                .collect();
            node.prop("Hash Cond", and_text(&conds));
            let (left, right) = if j.hash_left {
                (right, left)
            } else {
                (left, right)
            };
            let mut hash = ExplainNode::new("Hash", "Hash");
            hash.cost = Cost {
                startup: right.cost.total,
                total: right.cost.total,
                ..right.cost
            };
            hash.key = right.key;
            let hash = hash.child("Outer", right);
            node.cost = Cost {
                startup: hash.cost.total,
                total: hash.cost.total + left.cost.total + rows * cpu_tuple_cost(),
                rows,
                width,
            };
            node.child("Outer", left).child("Inner", hash)
        } else {
            let mut node = ExplainNode::new("Nested Loop", format!("Nested Loop{suffix}"));
            node.fields.push(("Join Type", kind.into()));
            // Driven by the right input, the left rows are the inner side.
            let (left, right) = if j.probe_left.is_some() {
                (right, left)
            } else {
                (left, right)
            };
            let inner = if j.inner_index.is_some() || j.probe_left.is_some() || lateral {
                right
            } else {
                let mut m = ExplainNode::new("Materialize", "Materialize");
                m.cost = Cost {
                    startup: 0.0,
                    total: right.cost.total + right.cost.rows * cpu_operator_cost() * 2.0,
                    ..right.cost
                };
                m.key = right.key;
                m.child("Outer", right)
            };
            node.cost = Cost {
                startup: 0.0,
                total: left.cost.total
                    + left.cost.rows * inner.cost.total.max(0.01)
                    + rows * cpu_tuple_cost(),
                rows,
                width,
            };
            node.child("Outer", left).child("Inner", inner)
        };
        if let Some(q) = &j.qual {
            let parts: Vec<String> = conjuncts(q)
                .into_iter()
                .map(|c| self.upper_expr(c, &layout))
                .collect();
            node.prop("Join Filter", and_text(&parts));
        }
        let origins = selfuncs::join_origins(j);
        self.filter_prop(&mut node, filter, &layout, false, &[], &origins);
        self.take_subplans(&mut node);
        (node.keyed(key), layout)
    }

    fn setop(&mut self, op: &SetOp, key: NodeKey) -> (ExplainNode, Layout) {
        let (left, left_layout) = self.plan(&op.left, op.width);
        let (right, _) = self.plan(&op.right, op.width);
        let cols: Layout = op
            .left
            .targets
            .iter()
            .take(op.width)
            .map(|t| {
                let q = self.upper_expr(t, &left_layout);
                let b = self.scan_expr(t, &left_layout);
                Col {
                    qualified: q,
                    bare: b,
                }
            })
            .collect();
        let width = left.cost.width.max(right.cost.width);
        let rows = left.cost.rows + right.cost.rows;
        let total = left.cost.total + right.cost.total;
        let mut append = ExplainNode::new("Append", "Append");
        append.cost = Cost {
            startup: 0.0,
            total,
            rows,
            width,
        };
        append.key = Some(NodeKey::append(op));
        if op.kind == SetOpKind::Union {
            let append = append.child("Member", left).child("Member", right);
            if op.all {
                return (append.keyed(key), cols);
            }
            let mut node = ExplainNode::new("Aggregate", "HashAggregate");
            node.head.push(("Strategy", "Hashed".into()));
            node.head.push(("Partial Mode", "Simple".into()));
            let keys: Vec<String> = cols.iter().map(|c| c.qualified.clone()).collect();
            node.props.push(("Group Key", Prop::List(keys)));
            node.cost = Cost {
                startup: total + rows * cpu_operator_cost(),
                total: total + rows * cpu_operator_cost() * 2.0,
                rows,
                width,
            };
            return (node.child("Outer", append).keyed(key), cols);
        }
        let wrap = |n: ExplainNode, i: usize| {
            let mut s = ExplainNode::new(
                "Subquery Scan",
                format!("Subquery Scan on \"*SELECT* {i}\""),
            );
            s.fields.push(("Alias", format!("*SELECT* {i}")));
            s.cost = n.cost;
            s.key = n.key;
            s.child("Subquery", n)
        };
        let append = append
            .child("Member", wrap(left, 1))
            .child("Member", wrap(right, 2));
        let (command, label) = match (op.kind, op.all) {
            (SetOpKind::Intersect, false) => ("Intersect", "HashSetOp Intersect"),
            (SetOpKind::Intersect, true) => ("Intersect All", "HashSetOp Intersect All"),
            (SetOpKind::Except, false) => ("Except", "HashSetOp Except"),
            _ => ("Except All", "HashSetOp Except All"),
        };
        let mut node = ExplainNode::new("SetOp", label);
        node.head.push(("Command", command.into()));
        node.head.push(("Strategy", "Hashed".into()));
        node.cost = Cost {
            startup: 0.0,
            total: total + rows * cpu_operator_cost() * 2.0,
            rows: left_rows_estimate(rows),
            width,
        };
        (node.child("Outer", append).keyed(key), cols)
    }

    fn agg_text(&mut self, a: &AggCall, layout: &[Col]) -> String {
        let name = match a.func {
            AggFunc::CountStar => return "count(*)".into(),
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
            AggFunc::BitAnd => "bit_and",
            AggFunc::BitOr => "bit_or",
            AggFunc::BitXor => "bit_xor",
            AggFunc::StringAgg => "string_agg",
            AggFunc::ArrayAgg => "array_agg",
            AggFunc::JsonAgg => "json_agg",
            AggFunc::JsonbAgg => "jsonb_agg",
            AggFunc::VarSamp => "variance",
            AggFunc::VarPop => "var_pop",
            AggFunc::Regr(kind) => kind.name(),
            AggFunc::StddevSamp => "stddev",
            AggFunc::StddevPop => "stddev_pop",
            AggFunc::Grouping => "GROUPING",
            AggFunc::RangeIntersectAgg => "range_intersect_agg",
            AggFunc::RangeAgg => "range_agg",
            AggFunc::User => a.user.as_ref().map_or("", |u| u.name.as_str()),
            AggFunc::PercentileCont
            | AggFunc::PercentileDisc
            | AggFunc::Mode
            | AggFunc::HypotheticalRank
            | AggFunc::HypotheticalDenseRank
            | AggFunc::HypotheticalPercentRank
            | AggFunc::HypotheticalCumeDist => {
                let name = a.func.ordered_set_name().unwrap_or_default();
                let direct: Vec<String> = match &a.delimiter {
                    None => Vec::new(),
                    Some(Expr::Row { args, .. }) if a.arg.is_none() => {
                        args.iter().map(|x| self.upper_expr(x, layout)).collect()
                    }
                    // The fraction: a constant once planned, as PostgreSQL
                    // folds the cast of the literal.
                    Some(d) => vec![match d {
                        Expr::Cast {
                            arg,
                            to: types::oid::FLOAT8,
                            ..
                        } => match &**arg {
                            Expr::Const { value, .. } if !value.is_null() => format!(
                                "'{}'::double precision",
                                value.to_text(&types::datum::OutputOptions::default())
                            ),
                            _ => self.upper_expr(d, layout),
                        },
                        _ => self.upper_expr(d, layout),
                    }],
                };
                let keys: Vec<String> = a
                    .order_by
                    .iter()
                    .map(|(x, desc, nulls_first)| {
                        let mut k = self.upper_expr(x, layout);
                        if *desc {
                            k.push_str(" DESC");
                        }
                        if *nulls_first != *desc {
                            k.push_str(if *nulls_first {
                                " NULLS FIRST"
                            } else {
                                " NULLS LAST"
                            });
                        }
                        k
                    })
                    .collect();
                let mut s = format!(
                    "{name}({}) WITHIN GROUP (ORDER BY {})",
                    direct.join(", "),
                    keys.join(", ")
                );
                if let Some(f) = &a.filter {
                    let f = self.upper_expr(f, layout);
                    s.push_str(&format!(" FILTER (WHERE {f})"));
                }
                return s;
            }
        };
        let mut args: Vec<String> = match (&a.func, &a.arg) {
            // The (Y, X) pair, packed as ARRAY[y, x].
            (AggFunc::Regr(_), Some(Expr::Call { args, .. })) => {
                args.iter().map(|x| self.upper_expr(x, layout)).collect()
            }
            _ => a.arg.iter().map(|x| self.upper_expr(x, layout)).collect(),
        };
        if a.func == AggFunc::Grouping {
            // Its arguments are GROUP BY expressions, the first columns of
            // the aggregated row.
            args = a
                .grouping
                .iter()
                .filter_map(|&i| layout.get(i).map(|c| c.qualified.clone()))
                .collect();
        }
        if let Some(d) = &a.delimiter {
            args.push(self.upper_expr(d, layout));
        }
        let distinct = if a.distinct { "DISTINCT " } else { "" };
        let mut s = format!("{name}({distinct}{})", args.join(", "));
        if let Some(f) = &a.filter {
            let f = self.upper_expr(f, layout);
            s.push_str(&format!(" FILTER (WHERE {f})"));
        }
        s
    }

    /// The node tree of a query level, and the layout of its target row.
    fn plan(&mut self, plan: &Plan, width: usize) -> (ExplainNode, Layout) {
        let (mut node, mut layout) = self.source(&plan.source, plan.filter.as_ref());
        let out_width = |plan: &Plan| -> i32 {
            plan.targets
                .iter()
                .take(width)
                .map(|t| type_width(t.type_oid(), -1))
                .sum()
        };
        if let Some(agg) = &plan.aggregate {
            let keys: Vec<String> = agg
                .group_by
                .iter()
                .map(|g| self.upper_expr(g, &layout))
                .collect();
            let mut cols: Layout = agg
                .group_by
                .iter()
                .map(|g| {
                    let q = self.upper_expr(g, &layout);
                    let b = self.scan_expr(g, &layout);
                    Col {
                        qualified: q,
                        bare: b,
                    }
                })
                .collect();
            for a in &agg.aggs {
                let q = self.agg_text(a, &layout);
                cols.push(same_col(q));
            }
            let input = node.cost;
            let (mut agg_node, rows) = if agg.group_by.is_empty() {
                let mut n = ExplainNode::new("Aggregate", "Aggregate");
                n.head.push(("Strategy", "Plain".into()));
                (n, 1.0)
            } else if agg.sorted {
                let mut n = ExplainNode::new("Aggregate", "GroupAggregate");
                n.head.push(("Strategy", "Sorted".into()));
                let origins = selfuncs::origins(&plan.source);
                (n, selfuncs::num_groups(&agg.group_by, &origins, input.rows))
            } else {
                let mut n = ExplainNode::new("Aggregate", "HashAggregate");
                n.head.push(("Strategy", "Hashed".into()));
                let origins = selfuncs::origins(&plan.source);
                (n, selfuncs::num_groups(&agg.group_by, &origins, input.rows))
            };
            agg_node.head.push(("Partial Mode", "Simple".into()));
            if !agg.sets.is_empty() {
                // Grouping sets: one hash table per set, the empty set a
                // plain group (PostgreSQL's MixedAggregate).
                if agg.sets.iter().any(Vec::is_empty) {
                    agg_node.label = "MixedAggregate".into();
                    for (k, v) in agg_node.head.iter_mut() {
                        if *k == "Strategy" {
                            *v = "Mixed".into();
                        }
                    }
                }
                for set in &agg.sets {
                    match set.is_empty() {
                        true => agg_node
                            .props
                            .push(("Group Key", Prop::List(vec!["()".into()]))),
                        false => agg_node.props.push((
                            "Hash Key",
                            Prop::List(set.iter().filter_map(|&i| keys.get(i).cloned()).collect()),
                        )),
                    }
                }
            } else if !keys.is_empty() {
                agg_node.props.push(("Group Key", Prop::List(keys)));
            }
            agg_node.cost = Cost {
                startup: input.total
                    + input.rows * cpu_operator_cost() * agg.aggs.len().max(1) as f64,
                total: input.total
                    + input.rows * cpu_operator_cost() * agg.aggs.len().max(1) as f64
                    + rows * cpu_tuple_cost(),
                rows,
                width: out_width(plan),
            };
            layout = cols;
            self.filter_prop(&mut agg_node, agg.having.as_ref(), &layout, false, &[], &[]);
            node = agg_node
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::Aggregate));
            self.take_subplans(&mut node);
        }
        if let Some(w) = &plan.windows {
            let mut i = 0;
            while i < w.funcs.len() {
                let f = &w.funcs[i];
                let mut end = i + 1;
                while end < w.funcs.len()
                    && w.funcs[end].partition_by == f.partition_by
                    && w.funcs[end].order_by == f.order_by
                {
                    end += 1;
                }
                let mut keys: Vec<String> = f
                    .partition_by
                    .iter()
                    .map(|e| self.upper_expr(e, &layout))
                    .collect();
                for (e, desc, nulls_first) in &f.order_by {
                    let t = self.upper_expr(e, &layout);
                    keys.push(sort_key_text(t, *desc, *nulls_first));
                }
                let input = node.cost;
                if !keys.is_empty() {
                    let mut sort = ExplainNode::new("Sort", "Sort");
                    sort.props.push(("Sort Key", Prop::List(keys)));
                    sort.cost = sort_cost(input);
                    sort.key = node.key;
                    node = sort.child("Outer", node);
                }
                let mut wnode = ExplainNode::new("WindowAgg", "WindowAgg");
                wnode.cost = Cost {
                    startup: node.cost.startup,
                    total: node.cost.total + input.rows * cpu_operator_cost(),
                    ..input
                };
                node = wnode
                    .child("Outer", node)
                    .keyed(NodeKey::plan(plan, Stage::Window(i)));
                i = end;
            }
            for f in &w.funcs {
                let name = match &f.kind {
                    WindowKind::RowNumber => "row_number()".to_owned(),
                    WindowKind::Rank => "rank()".to_owned(),
                    WindowKind::DenseRank => "dense_rank()".to_owned(),
                    WindowKind::PercentRank => "percent_rank()".to_owned(),
                    WindowKind::CumeDist => "cume_dist()".to_owned(),
                    WindowKind::Agg(a) => self.agg_text(a, &layout),
                    other => format!("{other:?}").to_lowercase() + "(...)",
                };
                layout.push(same_col(format!("{name} OVER (?)")));
            }
        }
        if let Some(p) = &plan.project_set {
            layout.truncate(p.input_width.max(layout.len().min(p.input_width)));
            layout.resize(p.input_width, same_col("?column?".into()));
            for f in &p.funcs {
                let args: Vec<String> =
                    f.args.iter().map(|a| self.upper_expr(a, &layout)).collect();
                let name = crate::analyze::func::catalog()
                    .iter()
                    .find(|c| c.imp == f.func)
                    .map_or(f.func, |c| c.name);
                layout.push(same_col(format!("{name}({})", args.join(", "))));
            }
            let mut n = ExplainNode::new("ProjectSet", "ProjectSet");
            n.cost = Cost {
                rows: node.cost.rows * 10.0,
                ..node.cost
            };
            node = n
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::ProjectSet));
        }
        // The target row: what sort keys and DISTINCT read.
        let targets: Layout = plan
            .targets
            .iter()
            .map(|t| {
                let q = self.upper_expr(t, &layout);
                let b = self.scan_expr(t, &layout);
                Col {
                    qualified: q,
                    bare: b,
                }
            })
            .collect();
        // Subplans of the targets belong to the topmost node so far.
        self.take_subplans(&mut node);
        let width_out = out_width(plan);
        if plan.source_is_result() && node.node_type == "Result" {
            node.cost.width = width_out;
        }
        if plan.distinct {
            let mut n = ExplainNode::new("Aggregate", "HashAggregate");
            n.head.push(("Strategy", "Hashed".into()));
            n.head.push(("Partial Mode", "Simple".into()));
            let keys: Vec<String> = targets
                .iter()
                .take(width)
                .map(|c| c.qualified.clone())
                .collect();
            n.props.push(("Group Key", Prop::List(keys)));
            n.cost = Cost {
                startup: node.cost.total + node.cost.rows * cpu_operator_cost(),
                total: node.cost.total + node.cost.rows * cpu_operator_cost() * 2.0,
                rows: clamp_rows((node.cost.rows / 10.0).min(200.0)),
                width: width_out,
            };
            node = n
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::Distinct));
        }
        let sort_keys = |keys: &[SortKey], targets: &Layout, q: bool| -> Vec<String> {
            keys.iter()
                .map(|k| {
                    let c = targets.get(k.column).map_or_else(String::new, |c| {
                        if q {
                            c.qualified.clone()
                        } else {
                            c.bare.clone()
                        }
                    });
                    sort_key_text(c, k.descending, k.nulls_first)
                })
                .collect()
        };
        let qualify = self.qualify;
        if !plan.order_by.is_empty() {
            let mut sort = ExplainNode::new("Sort", "Sort");
            sort.props.push((
                "Sort Key",
                Prop::List(sort_keys(&plan.order_by, &targets, qualify)),
            ));
            sort.cost = Cost {
                width: width_out,
                ..sort_cost(node.cost)
            };
            node = sort
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::Sort));
        }
        if !plan.distinct_on.is_empty() {
            if plan.order_by.is_empty() {
                let keys = plan.distinct_on_keys();
                let mut sort = ExplainNode::new("Sort", "Sort");
                sort.props
                    .push(("Sort Key", Prop::List(sort_keys(&keys, &targets, qualify))));
                sort.cost = Cost {
                    width: width_out,
                    ..sort_cost(node.cost)
                };
                node = sort
                    .child("Outer", node)
                    .keyed(NodeKey::plan(plan, Stage::Sort));
            }
            let mut u = ExplainNode::new("Unique", "Unique");
            u.cost = Cost {
                rows: clamp_rows(node.cost.rows / 10.0),
                total: node.cost.total + node.cost.rows * cpu_operator_cost(),
                ..node.cost
            };
            node = u
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::Unique));
        }
        if plan.row_lock.is_some() {
            let mut n = ExplainNode::new("LockRows", "LockRows");
            n.cost = Cost {
                total: node.cost.total + node.cost.rows * cpu_tuple_cost(),
                ..node.cost
            };
            node = n
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::LockRows));
        }
        if plan.limit.is_some() || plan.offset.is_some() {
            let mut n = ExplainNode::new("Limit", "Limit");
            let limit = match plan.limit.as_ref().map(selfuncs::const_number) {
                Some(Some(n)) => n,
                Some(None) => node.cost.rows * 0.1,
                None => node.cost.rows,
            };
            let rows = limit.min(node.cost.rows).max(0.0);
            let frac = if node.cost.rows > 0.0 {
                rows / node.cost.rows
            } else {
                1.0
            };
            n.cost = Cost {
                startup: node.cost.startup,
                total: node.cost.startup + (node.cost.total - node.cost.startup) * frac,
                rows,
                width: node.cost.width,
            };
            node = n
                .child("Outer", node)
                .keyed(NodeKey::plan(plan, Stage::Limit));
            self.take_subplans(&mut node);
        }
        if self.verbose {
            let out: Vec<String> = targets
                .iter()
                .take(width)
                .map(|c| c.qualified.clone())
                .collect();
            node.props.insert(0, ("Output", Prop::List(out)));
        }
        (node, targets)
    }

    /// The rows an UPDATE or DELETE changes: the scan of its table (with
    /// UPDATE ... FROM / DELETE ... USING, joined to the other rows).
    fn dml_scan(&mut self, m: &ModifyTable) -> ExplainNode {
        let rel = m.relation();
        let (ModifyTable::Update {
            filter,
            scan: by,
            from,
            ..
        }
        | ModifyTable::Delete {
            filter,
            scan: by,
            from,
            ..
        }) = m
        else {
            return ExplainNode::new("Result", "Result");
        };
        let layout = self.rel_layout(rel);
        let scan_key = NodeKey::modify(m, Stage::Source);
        let scan_filter = if from.is_some() {
            None
        } else {
            filter.as_ref()
        };
        let mut scan = match by {
            Some(crate::plan::ModifyScan::Index(s)) => {
                let (mut n, conds) = self.index_scan_node(rel, s, &layout);
                self.filter_prop(&mut n, scan_filter, &layout, true, &conds, &[]);
                n
            }
            Some(crate::plan::ModifyScan::Tid(t)) => {
                let source = Source::TidScan(Arc::clone(rel), t.clone());
                self.source(&source, scan_filter).0
            }
            None => {
                let (label, _) = self.rel_label(rel);
                let mut n = ExplainNode::new("Seq Scan", format!("Seq Scan on {label}"));
                self.rel_fields(&mut n, rel);
                let (pages, tuples, width) = rel_size(rel);
                n.cost = Cost {
                    startup: 0.0,
                    total: seq_page_cost() * pages + tuples * cpu_tuple_cost(),
                    rows: tuples,
                    width,
                };
                self.filter_prop(&mut n, scan_filter, &layout, true, &[], &[]);
                n
            }
        };
        self.take_subplans(&mut scan);
        scan.key = Some(scan_key);
        match from {
            None => scan,
            Some(p) => {
                let (other, other_layout) = self.plan(p, p.targets.len());
                let mut full = layout.clone();
                full.extend(other_layout);
                let mut nl = ExplainNode::new("Nested Loop", "Nested Loop");
                nl.fields.push(("Join Type", "Inner".into()));
                if let Some(f) = filter {
                    let parts: Vec<String> = conjuncts(f)
                        .into_iter()
                        .map(|c| self.upper_expr(c, &full))
                        .collect();
                    nl.prop("Join Filter", and_text(&parts));
                }
                let mut mat = ExplainNode::new("Materialize", "Materialize");
                mat.cost = other.cost;
                nl.cost = Cost {
                    startup: 0.0,
                    total: scan.cost.total + scan.cost.rows * other.cost.total,
                    rows: scan.cost.rows,
                    width: scan.cost.width,
                };
                self.take_subplans(&mut nl);
                nl.child("Outer", scan)
                    .child("Inner", mat.child("Outer", other))
            }
        }
    }

    /// The rows MERGE acts on: the source left-joined to the target.
    fn merge_join(&mut self, p: &crate::plan::MergePlan) -> ExplainNode {
        let scan_of = ModifyTable::Delete {
            rel: p.rel.clone(),
            filter: None,
            returning: Vec::new(),
            scan: None,
            from: None,
        };
        let mut scan = self.dml_scan(&scan_of);
        scan.key = None;
        let mut layout = self.rel_layout(&p.rel);
        let (source, source_layout) = self.plan(&p.source, p.source.targets.len());
        layout.extend(source_layout);
        let mut nl = ExplainNode::new("Nested Loop", "Nested Loop");
        nl.fields.push(("Join Type", "Left".into()));
        let parts: Vec<String> = conjuncts(&p.join)
            .into_iter()
            .map(|c| self.upper_expr(c, &layout))
            .collect();
        nl.prop("Join Filter", and_text(&parts));
        nl.cost = Cost {
            startup: 0.0,
            total: source.cost.total + source.cost.rows * scan.cost.total,
            rows: source.cost.rows,
            width: source.cost.width,
        };
        self.take_subplans(&mut nl);
        let mut mat = ExplainNode::new("Materialize", "Materialize");
        mat.cost = scan.cost;
        nl.child("Outer", source)
            .child("Inner", mat.child("Outer", scan))
    }

    fn modify(&mut self, stmt: &PlannedStmt, m: &ModifyTable) -> ExplainNode {
        let rel = m.relation();
        let (label, _) = self.rel_label(rel);
        let (verb, operation) = match m {
            ModifyTable::Insert { .. } => ("Insert", "Insert"),
            ModifyTable::Update { .. } => ("Update", "Update"),
            ModifyTable::Delete { .. } => ("Delete", "Delete"),
            ModifyTable::Merge(_) => ("Merge", "Merge"),
        };
        let mut node = ExplainNode::new("ModifyTable", format!("{verb} on {label}"));
        node.head.push(("Operation", operation.into()));
        self.rel_fields(&mut node, rel);
        let child = match m {
            ModifyTable::Insert { on_conflict, .. } => {
                if let Some(oc) = on_conflict {
                    let what = match oc.action {
                        OnConflictAction::Nothing => "NOTHING",
                        OnConflictAction::Update { .. } => "UPDATE",
                    };
                    node.prop("Conflict Resolution", what.into());
                    let names: Vec<String> = rel
                        .indexes
                        .iter()
                        .filter(|i| {
                            if oc.arbiters.is_empty() {
                                i.unique
                            } else {
                                oc.arbiters.contains(&i.oid)
                            }
                        })
                        .map(|i| i.name.clone())
                        .collect();
                    node.props
                        .push(("Conflict Arbiter Indexes", Prop::List(names)));
                    if let OnConflictAction::Update {
                        filter: Some(f), ..
                    } = &oc.action
                    {
                        let mut layout = self.rel_layout(rel);
                        layout.extend(rel.columns.iter().map(|c| Col {
                            qualified: format!("excluded.{}", quote_ident(&c.name)),
                            bare: format!("excluded.{}", quote_ident(&c.name)),
                        }));
                        let t = self.upper_expr(f, &layout);
                        node.prop("Conflict Filter", t);
                    }
                }
                self.plan(&stmt.plan, stmt.plan.targets.len()).0
            }
            ModifyTable::Update { .. } | ModifyTable::Delete { .. } if !rel.children.is_empty() => {
                // An inheritance tree: one target per table, their scans
                // appended.
                let mut members: Vec<ModifyTable> = Vec::new();
                if rel.relkind != 'p' {
                    members.push(crate::inherit::child_modify(m, rel));
                }
                for d in crate::inherit::modified_descendants(rel) {
                    let cm = crate::inherit::child_modify(m, &d);
                    if !crate::inherit::pruned(&cm) {
                        members.push(cm);
                    }
                }
                let refname = self.refname(rel);
                // (Kept until the end: names are remembered by address.)
                let members: Vec<ModifyTable> = members
                    .iter()
                    .enumerate()
                    .map(|(i, member)| {
                        crate::inherit::renamed(member, format!("{refname}_{}", i + 1))
                    })
                    .collect();
                let mut scans = Vec::with_capacity(members.len());
                for member in &members {
                    let (label, _) = self.rel_label(member.relation());
                    node.target_lines.push(format!("{verb} on {label}"));
                    scans.push(self.dml_scan(member));
                }
                match scans.len() {
                    0 => {
                        let mut r = ExplainNode::new("Result", "Result");
                        r.prop("One-Time Filter", "false".into());
                        r
                    }
                    1 => scans
                        .pop()
                        .unwrap_or_else(|| ExplainNode::new("Result", "Result")),
                    _ => {
                        let mut append = ExplainNode::new("Append", "Append");
                        for scan in scans {
                            append.cost.total += scan.cost.total;
                            append.cost.rows += scan.cost.rows;
                            append.cost.width = append.cost.width.max(scan.cost.width);
                            append = append.child("Member", scan);
                        }
                        if matches!(m, ModifyTable::Update { .. }) && rel.relkind != 'p' {
                            let mut result = ExplainNode::new("Result", "Result");
                            result.cost = append.cost;
                            result.child("Outer", append)
                        } else {
                            append
                        }
                    }
                }
            }
            ModifyTable::Update { .. } | ModifyTable::Delete { .. } => self.dml_scan(m),
            ModifyTable::Merge(p) => self.merge_join(p),
        };
        node.cost = Cost {
            startup: child.cost.startup,
            total: child.cost.total + child.cost.rows * cpu_tuple_cost(),
            rows: 0.0,
            width: 0,
        };
        node.child("Outer", child)
            .keyed(NodeKey::modify(m, Stage::Modify))
    }
}

fn left_rows_estimate(rows: f64) -> f64 {
    clamp_rows(rows / 2.0)
}

impl Plan {
    /// Whether the query has no FROM (its source is one row of nothing).
    fn source_is_result(&self) -> bool {
        matches!(&self.source, Source::Values(rows) if rows.len() == 1)
    }
}

fn sort_cost(input: Cost) -> Cost {
    let n = input.rows.max(1.0);
    let startup = input.total + 2.0 * cpu_operator_cost() * n * log2(n);
    Cost {
        startup,
        total: startup + cpu_operator_cost() * n,
        rows: input.rows,
        width: input.width,
    }
}

/// A sort key with PostgreSQL's decorations: `DESC`, and NULLS FIRST / LAST
/// where they differ from the default for the direction.
fn sort_key_text(text: String, descending: bool, nulls_first: bool) -> String {
    let mut s = text;
    if descending {
        s.push_str(" DESC");
    }
    if nulls_first && !descending {
        s.push_str(" NULLS FIRST");
    } else if !nulls_first && descending {
        s.push_str(" NULLS LAST");
    }
    s
}

/// An identifier as `quote_identifier` prints it.
fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    let reserved = matches!(
        s,
        "all"
            | "and"
            | "any"
            | "array"
            | "as"
            | "asc"
            | "both"
            | "case"
            | "cast"
            | "check"
            | "collate"
            | "column"
            | "constraint"
            | "create"
            | "default"
            | "desc"
            | "distinct"
            | "do"
            | "else"
            | "end"
            | "except"
            | "false"
            | "for"
            | "foreign"
            | "from"
            | "grant"
            | "group"
            | "having"
            | "in"
            | "intersect"
            | "into"
            | "leading"
            | "limit"
            | "not"
            | "null"
            | "offset"
            | "on"
            | "only"
            | "or"
            | "order"
            | "primary"
            | "references"
            | "select"
            | "some"
            | "table"
            | "then"
            | "to"
            | "trailing"
            | "true"
            | "union"
            | "unique"
            | "user"
            | "using"
            | "when"
            | "where"
            | "with"
    );
    if plain && !reserved {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

// ---------------------------------------------------------------------------
// Output

/// Per-loop figures of a node's counts, as PostgreSQL prints them.
fn per_loop(s: &NodeStats) -> (f64, f64, f64) {
    let loops = s.loops.max(1) as f64;
    (
        s.startup_ms / loops,
        s.total_ms / loops,
        (s.rows as f64 / loops).round(),
    )
}

/// What the summary says: planning and execution time in ms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub planning_ms: f64,
    pub execution_ms: Option<f64>,
}

/// The lines of EXPLAIN's result (one row each; JSON is one row).
pub fn render(
    tree: &ExplainNode,
    opts: &ExplainOptions,
    stats: Option<&Instrumentation>,
    summary: Summary,
) -> Vec<String> {
    match opts.format {
        ExplainFormat::Text => {
            let mut lines = Vec::new();
            text_node(tree, 0, opts, stats, &mut lines);
            if opts.summary {
                lines.push(format!("Planning Time: {:.3} ms", summary.planning_ms));
                if let Some(e) = summary.execution_ms {
                    lines.push(format!("Execution Time: {e:.3} ms"));
                }
            }
            lines
        }
        ExplainFormat::Json => {
            let mut out = String::from("[\n  {\n    \"Plan\": ");
            json_node(tree, 2, opts, stats, &mut out);
            if opts.summary {
                let _ = write!(out, ",\n    \"Planning Time\": {:.3}", summary.planning_ms);
            }
            if opts.analyze {
                out.push_str(",\n    \"Triggers\": [\n    ]");
            }
            if opts.summary
                && let Some(e) = summary.execution_ms
            {
                let _ = write!(out, ",\n    \"Execution Time\": {e:.3}");
            }
            out.push_str("\n  }\n]");
            vec![out]
        }
    }
}

fn text_node(
    node: &ExplainNode,
    indent: usize,
    opts: &ExplainOptions,
    stats: Option<&Instrumentation>,
    lines: &mut Vec<String>,
) {
    let mut ind = indent;
    if let Some(name) = &node.subplan_name {
        lines.push(format!("{}{name}", " ".repeat(ind * 2)));
        ind += 1;
    }
    let mut line = String::new();
    if ind > 0 {
        line.push_str(&" ".repeat(ind * 2));
        line.push_str("->  ");
        ind += 2;
    }
    line.push_str(&node.label);
    if opts.costs {
        let _ = write!(
            line,
            "  (cost={:.2}..{:.2} rows={:.0} width={})",
            node.cost.startup, node.cost.total, node.cost.rows, node.cost.width
        );
    }
    let node_stats = node_stats(node, stats);
    if opts.analyze {
        match node_stats {
            Some(s) if s.loops > 0 => {
                let (start, total, rows) = per_loop(&s);
                if opts.timing {
                    let _ = write!(
                        line,
                        " (actual time={start:.3}..{total:.3} rows={rows:.0} loops={})",
                        s.loops
                    );
                } else {
                    let _ = write!(line, " (actual rows={rows:.0} loops={})", s.loops);
                }
            }
            _ => line.push_str(" (never executed)"),
        }
    }
    lines.push(line);
    ind += 1;
    let pad = " ".repeat(ind * 2);
    for t in &node.target_lines {
        lines.push(format!("{pad}{t}"));
    }
    for (label, prop) in &node.props {
        let value = match prop {
            Prop::Text(t) => t.clone(),
            Prop::List(l) => l.join(", "),
        };
        lines.push(format!("{pad}{label}: {value}"));
        if opts.analyze
            && node.removed_by == Some(*label)
            && let Some(s) = node_stats
            && s.removed > 0
        {
            let removed = (s.removed as f64 / s.loops.max(1) as f64).round();
            lines.push(format!("{pad}Rows Removed by {label}: {removed:.0}"));
        }
    }
    for c in &node.children {
        text_node(c, ind, opts, stats, lines);
    }
}

fn node_stats(node: &ExplainNode, stats: Option<&Instrumentation>) -> Option<NodeStats> {
    let stats = stats?;
    node.key.and_then(|k| stats.get(&k).copied())
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_node(
    node: &ExplainNode,
    level: usize,
    opts: &ExplainOptions,
    stats: Option<&Instrumentation>,
    out: &mut String,
) {
    let pad = " ".repeat((level + 1) * 2);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| fields.push((k.to_owned(), v));
    push("Node Type", json_string(node.node_type));
    for (k, v) in &node.head {
        push(k, json_string(v));
    }
    if let Some(r) = node.relationship {
        push("Parent Relationship", json_string(r));
    }
    if let Some(n) = &node.subplan_name {
        push("Subplan Name", json_string(n));
    }
    push("Parallel Aware", "false".into());
    push("Async Capable", "false".into());
    for (k, v) in &node.fields {
        push(k, json_string(v));
    }
    if opts.costs {
        push("Startup Cost", format!("{:.2}", node.cost.startup));
        push("Total Cost", format!("{:.2}", node.cost.total));
        push("Plan Rows", format!("{:.0}", node.cost.rows));
        push("Plan Width", node.cost.width.to_string());
    }
    let node_stats = node_stats(node, stats);
    if opts.analyze {
        let s = node_stats.unwrap_or_default();
        let (start, total, rows) = per_loop(&s);
        if opts.timing {
            push("Actual Startup Time", format!("{start:.3}"));
            push("Actual Total Time", format!("{total:.3}"));
        }
        push("Actual Rows", format!("{rows:.0}"));
        push("Actual Loops", s.loops.to_string());
    }
    for (k, v) in &node.props {
        let value = match v {
            Prop::Text(t) => json_string(t),
            Prop::List(l) => format!(
                "[{}]",
                l.iter()
                    .map(|s| json_string(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        push(k, value);
        if opts.analyze && node.removed_by == Some(*k) {
            let s = node_stats.unwrap_or_default();
            let removed = (s.removed as f64 / s.loops.max(1) as f64).round();
            push(&format!("Rows Removed by {k}"), format!("{removed:.0}"));
        }
    }
    out.push_str("{\n");
    let n = fields.len();
    for (i, (k, v)) in fields.iter().enumerate() {
        let _ = write!(out, "{pad}{}: {v}", json_string(k));
        if i + 1 < n || !node.children.is_empty() {
            out.push(',');
        }
        out.push('\n');
    }
    if !node.children.is_empty() {
        let _ = writeln!(out, "{pad}\"Plans\": [");
        let inner = " ".repeat((level + 2) * 2);
        for (i, c) in node.children.iter().enumerate() {
            out.push_str(&inner);
            json_node(c, level + 2, opts, stats, out);
            if i + 1 < node.children.len() {
                out.push(',');
            }
            out.push('\n');
        }
        let _ = writeln!(out, "{pad}]");
    }
    out.push_str(&" ".repeat(level * 2));
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_are_decorated_as_postgresql_does() {
        assert_eq!(sort_key_text("a".into(), false, false), "a");
        assert_eq!(sort_key_text("a".into(), true, true), "a DESC");
        assert_eq!(sort_key_text("a".into(), true, false), "a DESC NULLS LAST");
        assert_eq!(sort_key_text("a".into(), false, true), "a NULLS FIRST");
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(quote_ident("abc"), "abc");
        assert_eq!(quote_ident("Abc"), "\"Abc\"");
        assert_eq!(quote_ident("user"), "\"user\"");
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }
}
