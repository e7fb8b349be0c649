//! Combo command ids (PostgreSQL's `combocid.c`): when a transaction deletes
//! a row it inserted itself, the tuple's one `t_cid` field must hold both its
//! cmin and its cmax; it holds an index into this backend-private table
//! instead, flagged by `HEAP_COMBOCID`. Only the inserting backend can ever
//! need both (to everyone else the transaction is running or finished), so the
//! table lives in the backend and is discarded at transaction end.

use std::collections::HashMap;

use super::CommandId;

/// The transaction's combo command ids.
#[derive(Debug, Default)]
pub struct ComboCids {
    pairs: Vec<(CommandId, CommandId)>,
    index: HashMap<(CommandId, CommandId), CommandId>,
}

impl ComboCids {
    pub fn new() -> ComboCids {
        ComboCids::default()
    }

    /// The combo id for (cmin, cmax), allocating one if new.
    pub fn get_or_create(&mut self, cmin: CommandId, cmax: CommandId) -> CommandId {
        if let Some(&id) = self.index.get(&(cmin, cmax)) {
            return id;
        }
        let id = self.pairs.len() as CommandId;
        self.pairs.push((cmin, cmax));
        self.index.insert((cmin, cmax), id);
        id
    }

    /// (cmin, cmax) of a combo id; `None` for an id this transaction never made.
    pub fn resolve(&self, combo: CommandId) -> Option<(CommandId, CommandId)> {
        self.pairs.get(combo as usize).copied()
    }

    /// Forgets everything (transaction end).
    pub fn clear(&mut self) {
        self.pairs.clear();
        self.index.clear();
    }
}
