//! B-tree indexes (PostgreSQL's `access/nbtree`): Lehman & Yao trees with
//! high keys and right-links, ordered by (key columns, heap tid). The
//! algorithm, the locking rules and where ours differs from PostgreSQL's are
//! in `README.md` beside this file.
//!
//! - [`itup`]: index tuples, pivot tuples and key comparison;
//! - [`page`]: the special space and the metapage;
//! - [`insert`]: descending the tree, inserting, splitting, unique checks;
//! - [`scan`]: range scans in key order;
//! - [`sort`]: sorting a build's entries within `maintenance_work_mem`,
//!   spilling sorted runs to temporary files;
//! - [`maint`]: the sorted bulk build, VACUUM's bulk delete and the
//!   structure check behind `bt_index_check`;
//! - [`pagedel`]: deleting empty leaves and recycling them.

pub mod insert;
pub mod itup;
pub mod maint;
pub mod page;
pub mod pagedel;
pub mod scan;
pub mod sort;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;

use crate::heap::tuple::{Attribute, TupleDesc};

/// How one key column is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnOrder {
    pub desc: bool,
    pub nulls_first: bool,
}

/// What the access method needs to know about an index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDesc {
    /// For messages.
    pub name: String,
    /// Every column: the key columns, then the INCLUDE columns.
    pub tupdesc: TupleDesc,
    /// The key columns alone (what pivot tuples hold).
    pub keydesc: TupleDesc,
    pub nkeyatts: usize,
    /// One per key column.
    pub options: Vec<ColumnOrder>,
    pub unique: bool,
    /// `NULLS NOT DISTINCT`: two NULL keys conflict in a unique index.
    pub nulls_not_distinct: bool,
    /// How full (percent) a build or a rightmost leaf split packs a leaf:
    /// the index's `fillfactor`, 90 by default.
    pub leaf_fillfactor: usize,
}

impl IndexDesc {
    pub fn new(
        name: impl Into<String>,
        columns: Vec<Attribute>,
        nkeyatts: usize,
        options: Vec<ColumnOrder>,
        unique: bool,
    ) -> IndexDesc {
        let keydesc = TupleDesc::new(columns[..nkeyatts].to_vec());
        IndexDesc {
            name: name.into(),
            tupdesc: TupleDesc::new(columns),
            keydesc,
            nkeyatts,
            options,
            unique,
            nulls_not_distinct: false,
            leaf_fillfactor: 90,
        }
    }
}
