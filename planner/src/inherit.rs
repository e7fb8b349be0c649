//! UPDATE and DELETE of an inheritance tree: the statement as analyzed for
//! the named table, rewritten for each descendant (PostgreSQL plans one
//! result relation per child; here the executor runs the rewritten
//! statements one after another).
//!
//! A child has every column of its parent, by name, but maybe at other
//! positions and with more columns of its own, so every `Var` over the
//! parent's row is moved to the same column of the child's row, and one
//! past it (`UPDATE ... FROM`'s other rows) by the difference in width.

use std::sync::Arc;

use crate::catalog::RelationDesc;
use crate::expr::Expr;
use crate::plan::ModifyTable;

/// Where each column of `parent`'s row is in `child`'s (a dropped column
/// of the parent maps nowhere).
fn column_map(parent: &RelationDesc, child: &RelationDesc) -> Vec<Option<usize>> {
    parent
        .columns
        .iter()
        .map(|c| {
            if c.dropped {
                None
            } else {
                child.column_index(&c.name)
            }
        })
        .collect()
}

fn remap(e: &Expr, map: &[Option<usize>], parent_width: usize, child_width: usize) -> Expr {
    fn go(
        e: Expr,
        map: &[Option<usize>],
        parent_width: usize,
        child_width: usize,
    ) -> Result<Expr, std::convert::Infallible> {
        match e {
            Expr::Var {
                index,
                type_oid,
                typmod,
            } => {
                if index >= parent_width {
                    return Ok(Expr::Var {
                        index: index - parent_width + child_width,
                        type_oid,
                        typmod,
                    });
                }
                Ok(match map.get(index).copied().flatten() {
                    Some(i) => Expr::Var {
                        index: i,
                        type_oid,
                        typmod,
                    },
                    None => Expr::null(type_oid),
                })
            }
            other => other.map_children(&mut |c| go(c, map, parent_width, child_width)),
        }
    }
    match go(e.clone(), map, parent_width, child_width) {
        Ok(x) => x,
    }
}

/// Every table below `rel` whose rows an UPDATE or DELETE of it reaches
/// (partitioned tables hold none), depth first.
pub fn modified_descendants(rel: &RelationDesc) -> Vec<Arc<RelationDesc>> {
    crate::analyze::from::descendants(rel)
        .into_iter()
        .filter(|d| d.relkind != 'p')
        .collect()
}

/// UPDATE or DELETE `m` (of an inheritance parent) rewritten for `child`.
/// INSERT is returned unchanged: it never recurses.
pub fn child_modify(m: &ModifyTable, child: &Arc<RelationDesc>) -> ModifyTable {
    let parent = m.relation();
    let map = column_map(parent, child);
    let (pw, cw) = (parent.columns.len(), child.columns.len());
    let r = |e: &Expr| remap(e, &map, pw, cw);
    let child = Arc::new(RelationDesc {
        children: Vec::new(),
        ..(**child).clone()
    });
    match m {
        ModifyTable::Insert { .. } => m.clone(),
        ModifyTable::Update {
            filter,
            assignments,
            returning,
            from,
            ..
        } => ModifyTable::Update {
            rel: child,
            filter: filter.as_ref().map(r),
            assignments: assignments
                .iter()
                .filter_map(|(i, e)| Some((map.get(*i).copied().flatten()?, r(e))))
                .collect(),
            returning: returning.iter().map(r).collect(),
            index: None,
            from: from.clone(),
        },
        ModifyTable::Delete {
            filter,
            returning,
            from,
            ..
        } => ModifyTable::Delete {
            rel: child,
            filter: filter.as_ref().map(r),
            returning: returning.iter().map(r).collect(),
            index: None,
            from: from.clone(),
        },
    }
}
