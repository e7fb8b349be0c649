//! The session settings that steer the planner: PostgreSQL's `enable_*`
//! parameters.
//!
//! The backend gives them with the catalog
//! ([`crate::CatalogView::planner_settings`]); analysis makes them the
//! current ones for the statement it plans ([`enter`]), and the path
//! choosers read them with [`current`], so that they need not travel
//! through every function between. As in PostgreSQL a disabled kind of
//! path is not forbidden: it costs [`DISABLE_COST`] more, so it is still
//! taken when nothing else can do the work (a sequential scan of a table
//! without a usable index).

use std::cell::Cell;

/// PostgreSQL's `disable_cost`: added to the cost of a disabled path.
pub const DISABLE_COST: f64 = 1.0e10;

/// The `enable_*` settings (all on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannerSettings {
    pub enable_seqscan: bool,
    pub enable_indexscan: bool,
    pub enable_indexonlyscan: bool,
    pub enable_bitmapscan: bool,
    pub enable_nestloop: bool,
    pub enable_hashjoin: bool,
}

impl Default for PlannerSettings {
    fn default() -> PlannerSettings {
        PlannerSettings {
            enable_seqscan: true,
            enable_indexscan: true,
            enable_indexonlyscan: true,
            enable_bitmapscan: true,
            enable_nestloop: true,
            enable_hashjoin: true,
        }
    }
}

impl PlannerSettings {
    /// The settings from a lookup of boolean parameters by name (None:
    /// the default).
    pub fn from_lookup(get: impl Fn(&str) -> Option<bool>) -> PlannerSettings {
        let d = PlannerSettings::default();
        PlannerSettings {
            enable_seqscan: get("enable_seqscan").unwrap_or(d.enable_seqscan),
            enable_indexscan: get("enable_indexscan").unwrap_or(d.enable_indexscan),
            enable_indexonlyscan: get("enable_indexonlyscan").unwrap_or(d.enable_indexonlyscan),
            enable_bitmapscan: get("enable_bitmapscan").unwrap_or(d.enable_bitmapscan),
            enable_nestloop: get("enable_nestloop").unwrap_or(d.enable_nestloop),
            enable_hashjoin: get("enable_hashjoin").unwrap_or(d.enable_hashjoin),
        }
    }

    /// Whether a kind of table scan is disabled: then scans are chosen by
    /// cost even for tables without statistics (whose rules would not
    /// know the settings).
    pub fn scans_restricted(&self) -> bool {
        !(self.enable_seqscan && self.enable_indexscan && self.enable_bitmapscan)
    }

    /// `DISABLE_COST` if `enabled` is false, else nothing.
    pub fn penalty(enabled: bool) -> f64 {
        if enabled { 0.0 } else { DISABLE_COST }
    }
}

thread_local! {
    static CURRENT: Cell<PlannerSettings> = Cell::new(PlannerSettings::default());
}

/// The settings of the statement being planned.
pub fn current() -> PlannerSettings {
    CURRENT.with(Cell::get)
}

/// Makes `settings` current until the guard is dropped (then the ones
/// before come back: planning may nest, as for a SQL function's body).
pub fn enter(settings: PlannerSettings) -> Guard {
    Guard(CURRENT.with(|c| c.replace(settings)))
}

/// See [`enter`].
pub struct Guard(PlannerSettings);

impl Drop for Guard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entered_settings_are_current_until_the_guard_drops() {
        assert!(current().enable_seqscan);
        {
            let _g = enter(PlannerSettings {
                enable_seqscan: false,
                ..PlannerSettings::default()
            });
            assert!(!current().enable_seqscan);
            {
                let _inner = enter(PlannerSettings::default());
                assert!(current().enable_seqscan);
            }
            assert!(!current().enable_seqscan);
        }
        assert!(current().enable_seqscan);
    }

    #[test]
    fn a_lookup_overrides_only_what_it_knows() {
        let s = PlannerSettings::from_lookup(|n| (n == "enable_hashjoin").then_some(false));
        assert!(!s.enable_hashjoin);
        assert!(s.enable_nestloop && s.enable_seqscan);
    }
}
