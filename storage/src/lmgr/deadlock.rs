//! The deadlock detector (the idea of PostgreSQL's `deadlock.c`, without its
//! queue rearrangement): with every partition lock held, build the waits-for
//! graph of all waiting backends and look for a cycle through the caller.
//!
//! ```text
//!   W waits for mode M on lock L
//!     W -> H   for every other backend H granted a mode on L that conflicts with M
//!     W -> Q   for every other backend Q queued on L before W for a mode that
//!              conflicts with M (it will be granted first and then block W)
//! ```
//!
//! PostgreSQL calls the second kind "soft" edges and tries to reorder the
//! queue to break a cycle that contains one. We do not reorder: our wake-up
//! grants strictly in queue order, so under our rules a cycle through a soft
//! edge is as real as one through hard edges and is reported as a deadlock.

use std::sync::atomic::Ordering::Relaxed;

use super::table::LockTable;
use super::{LockMode, LockTag};

/// One backend of a deadlock cycle: it waits for `mode` on `tag` and is
/// blocked by the next step's backend (the last by the first).
#[derive(Debug, Clone)]
pub(super) struct CycleStep {
    pub pid: i32,
    pub mode: LockMode,
    pub tag: LockTag,
}

/// The cycle of the waits-for graph through `me`, starting at `me`, if any.
/// The caller holds every partition lock.
pub(super) fn find_cycle(t: &LockTable<'_>, me: usize) -> Option<Vec<CycleStep>> {
    let n = t.procs.len();
    // What each backend waits for, and whom it waits for.
    let mut waits: Vec<Option<(LockTag, LockMode)>> = vec![None; n];
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (p, proc) in t.procs.iter().enumerate() {
        let Some(idx) = proc.wait_entry.load(Relaxed).checked_sub(1) else {
            continue;
        };
        let words = t.tag_words(idx);
        let (Some(tag), Some(mode)) = (LockTag::decode(words), t.view(idx).wait_mode) else {
            continue;
        };
        let mine = t.view(idx);
        waits[p] = Some((tag, mode));
        for other in t.entries_of(words, tag.hash()) {
            if other.proc == p {
                continue;
            }
            let hard = other.granted & mode.conflict_mask() != 0;
            let soft = other.wait_mode.is_some_and(|m| mode.conflicts_with(m))
                && (other.wait_seq, other.proc) < (mine.wait_seq, mine.proc);
            if (hard || soft) && other.proc < n && !edges[p].contains(&other.proc) {
                edges[p].push(other.proc);
            }
        }
    }
    let mut path = vec![me];
    let mut visited = vec![false; n];
    visited[me] = true;
    if !dfs(&edges, me, &mut path, &mut visited) {
        return None;
    }
    path.iter()
        .map(|&p| {
            let (tag, mode) = waits[p]?;
            Some(CycleStep {
                pid: t.procs[p].pid.load(Relaxed),
                mode,
                tag,
            })
        })
        .collect()
}

/// Depth-first search from the last node of `path` for an edge back to
/// `path[0]`; on success `path` is the cycle. A node explored without
/// success cannot lead back later either, so each is visited once.
fn dfs(edges: &[Vec<usize>], at: usize, path: &mut Vec<usize>, visited: &mut [bool]) -> bool {
    for &next in &edges[at] {
        if next == path[0] {
            return true;
        }
        if visited[next] {
            continue;
        }
        visited[next] = true;
        path.push(next);
        if dfs(edges, next, path, visited) {
            return true;
        }
        path.pop();
    }
    false
}

/// The DETAIL of the deadlock error: one line per backend of the cycle, from
/// the detecting backend on, in PostgreSQL's words.
pub(super) fn describe(cycle: &[CycleStep]) -> String {
    let mut lines = Vec::with_capacity(cycle.len());
    for (i, step) in cycle.iter().enumerate() {
        let next = &cycle[(i + 1) % cycle.len()];
        lines.push(format!(
            "Process {} waits for {} on {}; blocked by process {}.",
            step.pid, step.mode, step.tag, next.pid
        ));
    }
    lines.join("\n")
}
