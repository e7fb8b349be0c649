//! The order of a tree of inner joins (PostgreSQL's join search,
//! `make_one_rel` / `standard_join_search`, in a smaller form).
//!
//! Analysis builds joins in the order of FROM. Before the join paths are
//! chosen (`joinpath.rs`), each tree of INNER joins (comma-separated FROM
//! items and `JOIN ... ON`) of three or more inputs is flattened into its
//! inputs and conditions, and the left-deep order that keeps the estimated
//! intermediate results smallest is searched: by dynamic programming over
//! the subsets of inputs up to `geqo_threshold` (12) inputs, greedily from
//! each starting input beyond. Outer, semi and anti joins are not
//! reordered (their own inputs are searched in turn); a tree with a
//! LATERAL reference, a function or series in FROM is left as written.
//!
//! The cost of an order is the sum over its joins of the rows of both
//! inputs and of the result, with rows from the inputs' estimates and the
//! selectivity of each condition once all its inputs are joined
//! (`eqjoinsel` for equalities). A cross product costs the product of its
//! inputs, so orders that join related tables first win. The written order
//! is kept unless the best one costs less than half as much: a query whose
//! FROM is already a good order keeps the plan it has, and the two-input
//! choices of `joinpath.rs` (which side to hash, which side drives a
//! nested loop) refine it.
//!
//! A reordered join keeps the row layout of the written one for everything
//! above it: `Join::output` lists, for each column of the written layout,
//! its place in the reordered row, and the executor, EXPLAIN, the
//! estimates and the pushing down of conditions map through it.

use crate::expr::Expr;
use crate::plan::{Join, JoinInput, JoinKind, Plan, Source};
use crate::selfuncs;

/// PostgreSQL's `geqo_threshold`: beyond this many inputs the search is
/// greedy rather than exhaustive.
const GEQO_THRESHOLD: usize = 12;

/// An order is taken only when it costs less than this share of the
/// written one's.
const GAIN: f64 = 0.5;

/// Reorders the inner join trees of a query's FROM (see the module doc).
pub fn reorder(plan: &mut Plan) {
    if plan.row_lock.is_some() {
        return;
    }
    let filter: Vec<Expr> = plan.filter.iter().flat_map(conjuncts).collect();
    if let Source::Join(j) = &mut plan.source {
        reorder_join(j, &filter);
    }
}

/// Reorders `j` if it is an inner join tree worth it, and the trees
/// inside its inputs; `extra` are conditions over its output rows (the
/// query's WHERE) that count for the estimates.
fn reorder_join(j: &mut Join, extra: &[Expr]) {
    if j.kind != JoinKind::Inner || !flattenable(j) || count_leaves(j) < 3 {
        for input in [&mut j.left, &mut j.right] {
            if let Source::Join(inner) = &mut input.source {
                reorder_join(inner, &[]);
            }
        }
        return;
    }
    let written_tree = j.clone();
    let whole = std::mem::replace(j, empty_join());
    let mut leaves = Vec::new();
    let mut quals = Vec::new();
    take_apart(whole, 0, &mut leaves, &mut quals);
    let est = Estimates::new(&leaves, quals.iter().chain(extra));
    let written: Vec<usize> = (0..leaves.len()).collect();
    let best = if leaves.len() <= GEQO_THRESHOLD {
        est.dynamic()
    } else {
        est.greedy()
    };
    match best {
        Some((cost, order)) if cost < GAIN * est.cost(&written) => {
            for leaf in &mut leaves {
                if let Source::Join(inner) = &mut leaf.source {
                    reorder_join(inner, &[]);
                }
            }
            *j = rebuild(leaves, &order, quals);
        }
        _ => {
            // As written: the tree comes back whole, its inner trees
            // searched in turn.
            *j = written_tree;
            reorder_inputs(j);
        }
    }
}

/// Searches the join trees below the inner join tree `j` (kept as
/// written): those in its inputs that are not inner joins of the tree.
fn reorder_inputs(j: &mut Join) {
    for input in [&mut j.left, &mut j.right] {
        let part_of_tree = inner_tree(input).is_some();
        if let Source::Join(inner) = &mut input.source {
            if part_of_tree {
                reorder_inputs(inner);
            } else {
                reorder_join(inner, &[]);
            }
        }
    }
}

/// Whether an inner join's input belongs to its tree (is taken apart).
fn inner_tree(input: &JoinInput) -> Option<&Join> {
    match &input.source {
        Source::Join(j) if j.kind == JoinKind::Inner && input.filter.is_none() => Some(j),
        _ => None,
    }
}

/// Whether the inner join tree `j` may be taken apart: nothing planned in
/// it yet, every input one that may go anywhere.
fn flattenable(j: &Join) -> bool {
    j.hash_keys.is_empty()
        && j.inner_index.is_none()
        && j.probe_left.is_none()
        && !j.hash_left
        && j.output.is_none()
        && [&j.left, &j.right]
            .into_iter()
            .all(|input| match inner_tree(input) {
                Some(inner) => flattenable(inner),
                None => reorderable(&input.source),
            })
}

/// The inputs of the inner join tree `j`.
fn count_leaves(j: &Join) -> usize {
    [&j.left, &j.right]
        .into_iter()
        .map(|input| inner_tree(input).map_or(1, count_leaves))
        .sum()
}

/// Collects the inputs of the inner join tree `j` (whose row starts at
/// `offset` of the top one's) and its conditions, moved to the top
/// layout.
fn take_apart(j: Join, offset: usize, leaves: &mut Vec<JoinInput>, quals: &mut Vec<Expr>) {
    if let Some(q) = &j.qual {
        quals.extend(
            conjuncts(q)
                .into_iter()
                .map(|c| c.shift_vars(offset as isize)),
        );
    }
    let lw = j.left.width;
    for (input, start) in [(j.left, offset), (j.right, offset + lw)] {
        if inner_tree(&input).is_some()
            && let Source::Join(inner) = input.source
        {
            take_apart(*inner, start, leaves, quals);
        } else {
            leaves.push(input);
        }
    }
}

/// Whether a join input may take any place in a reordered tree.
fn reorderable(source: &Source) -> bool {
    match source {
        Source::SeqScan(_)
        | Source::IndexScan(..)
        | Source::Bitmap(..)
        | Source::TidScan(..)
        | Source::Append { .. }
        | Source::Join(_) => true,
        Source::Subquery { params, .. } => params.is_empty(),
        _ => false,
    }
}

/// A stand-in while a join is taken apart.
fn empty_join() -> Join {
    let none = || (Source::Values(Vec::new()), 0);
    Join::new(JoinKind::Inner, none(), none(), None)
}

/// The estimates an order is costed with.
struct Estimates {
    /// Each input's rows after the conditions over it alone.
    rows: Vec<f64>,
    /// The conditions over two or more inputs: the inputs they read (a
    /// bit per input) and their selectivity.
    links: Vec<(u64, f64)>,
}

impl Estimates {
    fn new<'e>(leaves: &[JoinInput], conds: impl Iterator<Item = &'e Expr>) -> Estimates {
        let mut origins = Vec::new();
        let mut starts = Vec::new();
        for leaf in leaves {
            starts.push(origins.len());
            let mut o = selfuncs::origins(&leaf.source);
            o.resize(leaf.width, None);
            origins.extend(o);
        }
        let leaf_of = |col: usize| starts.iter().rposition(|&s| s <= col);
        let mut rows: Vec<f64> = leaves
            .iter()
            .map(|l| selfuncs::source_rows(&l.source, l.filter.as_ref()))
            .collect();
        let mut multi = Vec::new();
        for c in conds {
            let mut mask = 0u64;
            let mut unknown = false;
            c.walk(&mut |x| {
                if let Expr::Var { index, .. } = x {
                    match leaf_of(*index) {
                        Some(i) if i < 64 => mask |= 1 << i,
                        _ => unknown = true,
                    }
                }
            });
            if unknown || mask == 0 {
                continue;
            }
            if mask.count_ones() == 1 {
                let i = mask.trailing_zeros() as usize;
                rows[i] *= selfuncs::clause_selectivity(c, &origins);
            } else {
                multi.push((c, mask));
            }
        }
        let rows: Vec<f64> = rows.into_iter().map(selfuncs::clamp_rows).collect();
        let links = multi
            .into_iter()
            .map(|(c, mask)| {
                let mut sides = (0..leaves.len()).filter(|i| mask & (1 << i) != 0);
                let a = sides.next().map_or(1.0, |i| rows[i]);
                let b = sides.next().map_or(1.0, |i| rows[i]);
                (mask, selfuncs::join_clause_selectivity(c, &origins, a, b))
            })
            .collect();
        Estimates { rows, links }
    }

    /// The estimated rows of the inputs in `mask` joined.
    fn joined_rows(&self, mask: u64) -> f64 {
        let mut r: f64 = (0..self.rows.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| self.rows[i])
            .product();
        for &(m, sel) in &self.links {
            if m & mask == m {
                r *= sel;
            }
        }
        r.max(1.0)
    }

    /// What joining input `next` to the inputs in `mask` costs.
    fn step(&self, mask: u64, next: usize) -> f64 {
        self.joined_rows(mask) + self.rows[next] + self.joined_rows(mask | (1 << next))
    }

    /// The cost of a left-deep order.
    fn cost(&self, order: &[usize]) -> f64 {
        let mut mask = 0u64;
        let mut total = 0.0;
        for (k, &i) in order.iter().enumerate() {
            if k > 0 {
                total += self.step(mask, i);
            }
            mask |= 1 << i;
        }
        total
    }

    /// The rows of every subset of the inputs joined, by subset mask.
    fn all_joined_rows(&self) -> Vec<f64> {
        let n = self.rows.len();
        let mut raw = vec![1.0f64; 1 << n];
        for mask in 1usize..1 << n {
            let low = mask.trailing_zeros() as usize;
            let rest = mask & (mask - 1);
            let mut r = raw[rest] * self.rows[low];
            for &(m, sel) in &self.links {
                if m & (1 << low) != 0 && m & mask as u64 == m {
                    r *= sel;
                }
            }
            raw[mask] = r;
        }
        raw.into_iter().map(|r| r.max(1.0)).collect()
    }

    /// The cheapest left-deep order by dynamic programming over subsets.
    fn dynamic(&self) -> Option<(f64, Vec<usize>)> {
        let n = self.rows.len();
        let full = (1usize << n) - 1;
        let joined = self.all_joined_rows();
        // best[mask]: (cost, the input joined last)
        let mut best: Vec<Option<(f64, usize)>> = vec![None; full + 1];
        for i in 0..n {
            best[1 << i] = Some((0.0, i));
        }
        for mask in 1..=full {
            if mask.count_ones() < 2 {
                continue;
            }
            let mut choice: Option<(f64, usize)> = None;
            for last in (0..n).filter(|i| mask & (1 << i) != 0) {
                let rest = mask & !(1 << last);
                let Some((c, _)) = best[rest] else { continue };
                let total = c + joined[rest] + self.rows[last] + joined[mask];
                if choice.is_none_or(|(b, _)| total < b) {
                    choice = Some((total, last));
                }
            }
            best[mask] = choice;
        }
        let (cost, _) = best[full]?;
        let mut order = Vec::with_capacity(n);
        let mut mask = full;
        while mask != 0 {
            let (_, last) = best[mask]?;
            order.push(last);
            mask &= !(1 << last);
        }
        order.reverse();
        Some((cost, order))
    }

    /// A left-deep order grown greedily (the next input the one whose
    /// join gives the fewest rows), from each starting input; the cheapest.
    fn greedy(&self) -> Option<(f64, Vec<usize>)> {
        let n = self.rows.len();
        if n > 64 {
            return None;
        }
        let mut best: Option<(f64, Vec<usize>)> = None;
        for start in 0..n {
            let mut order = vec![start];
            let mut mask = 1u64 << start;
            let mut cost = 0.0;
            while order.len() < n {
                let next = (0..n).filter(|i| mask & (1 << i) == 0).min_by(|&a, &b| {
                    self.joined_rows(mask | (1 << a))
                        .total_cmp(&self.joined_rows(mask | (1 << b)))
                })?;
                cost += self.step(mask, next);
                mask |= 1 << next;
                order.push(next);
            }
            if best.as_ref().is_none_or(|(b, _)| cost < *b) {
                best = Some((cost, order));
            }
        }
        best
    }
}

/// The left-deep inner join of `leaves` (at least two) in `order`, every
/// condition in its top join's condition (in the new layout; `joinpath`
/// pushes each down to where its columns are), with `output` mapping the
/// written layout to the new one (None when the order is the written one).
fn rebuild(leaves: Vec<JoinInput>, order: &[usize], quals: Vec<Expr>) -> Join {
    let mut starts = Vec::new();
    let mut at = 0;
    for l in &leaves {
        starts.push(at);
        at += l.width;
    }
    let mut output = vec![0; at];
    let mut pos = 0;
    for &i in order {
        for c in 0..leaves[i].width {
            output[starts[i] + c] = pos + c;
        }
        pos += leaves[i].width;
    }
    let identity = order.iter().enumerate().all(|(k, &i)| k == i);
    let quals: Vec<Expr> = quals.into_iter().map(|q| remap(q, &output)).collect();
    let mut slots: Vec<Option<JoinInput>> = leaves.into_iter().map(Some).collect();
    let mut inputs = order.iter().filter_map(|&i| slots[i].take());
    let first = inputs.next();
    let second = inputs.next();
    let (Some(first), Some(second)) = (first, second) else {
        return empty_join();
    };
    let pair = |left: JoinInput, right: JoinInput| Join {
        kind: JoinKind::Inner,
        left,
        right,
        hash_keys: Vec::new(),
        qual: None,
        inner_index: None,
        hash_left: false,
        probe_left: None,
        output: None,
    };
    let mut top = pair(first, second);
    for right in inputs {
        let width = top.left.width + top.right.width;
        let left = JoinInput {
            source: Source::Join(Box::new(top)),
            filter: None,
            width,
            columns: width,
        };
        top = pair(left, right);
    }
    top.qual = and(quals);
    top.output = (!identity).then_some(output);
    top
}

/// `e` with each `Var` index `i` replaced by `map[i]`.
pub(crate) fn remap(e: Expr, map: &[usize]) -> Expr {
    fn go(e: Expr, map: &[usize]) -> Result<Expr, std::convert::Infallible> {
        match e {
            Expr::Var {
                index,
                type_oid,
                typmod,
            } => Ok(Expr::Var {
                index: map.get(index).copied().unwrap_or(index),
                type_oid,
                typmod,
            }),
            other => other.map_children(&mut |c| go(c, map)),
        }
    }
    match go(e, map) {
        Ok(e) => e,
    }
}

/// The inverse of a permutation `map` (old place -> new place).
pub(crate) fn inverse(map: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; map.len()];
    for (old, &new) in map.iter().enumerate() {
        if new < inv.len() {
            inv[new] = old;
        }
    }
    inv
}

fn conjuncts(e: &Expr) -> Vec<Expr> {
    match e {
        Expr::And(parts) => parts.iter().flat_map(conjuncts).collect(),
        other => vec![other.clone()],
    }
}

fn and(mut parts: Vec<Expr>) -> Option<Expr> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Expr::And(parts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs of `rows` rows each, linked pairwise with selectivities.
    fn estimates(rows: &[f64], links: &[(usize, usize, f64)]) -> Estimates {
        Estimates {
            rows: rows.to_vec(),
            links: links
                .iter()
                .map(|&(a, b, sel)| ((1u64 << a) | (1u64 << b), sel))
                .collect(),
        }
    }

    #[test]
    fn the_search_avoids_a_cross_product() {
        // a and b are linked only through c: a, b, c as written crosses.
        let e = estimates(
            &[2000.0, 300.0, 150.0],
            &[(0, 2, 1.0 / 2000.0), (1, 2, 1.0 / 300.0)],
        );
        let (cost, order) = e.dynamic().expect("an order");
        assert_eq!(cost, e.cost(&order));
        assert_ne!(&order[..2], &[0, 1]);
        assert_ne!(&order[..2], &[1, 0]);
        assert!(cost < GAIN * e.cost(&[0, 1, 2]));
        let (greedy_cost, greedy_order) = e.greedy().expect("an order");
        assert_eq!(greedy_cost, e.cost(&greedy_order));
        assert!(greedy_cost <= e.cost(&[0, 1, 2]));
    }

    #[test]
    fn a_chain_in_order_costs_no_more_than_the_best_by_much() {
        // t1 (filtered) - t2 - t3 - t4, each joined on a key of the next.
        let e = estimates(
            &[10.0, 1000.0, 1000.0, 1000.0],
            &[(0, 1, 0.001), (1, 2, 0.001), (2, 3, 0.001)],
        );
        let (best, _) = e.dynamic().expect("an order");
        assert!(e.cost(&[0, 1, 2, 3]) * GAIN <= best);
    }

    #[test]
    fn remapping_and_its_inverse() {
        let map = vec![2, 0, 1];
        let inv = inverse(&map);
        assert_eq!(inv, vec![1, 2, 0]);
        let var = |index| Expr::Var {
            index,
            type_oid: types::oid::INT4,
            typmod: -1,
        };
        assert_eq!(remap(var(0), &map), var(2));
        assert_eq!(remap(remap(var(1), &map), &inv), var(1));
    }
}
