//! The session settings that steer the planner: PostgreSQL's `enable_*`
//! parameters and its cost constants (`seq_page_cost`, `random_page_cost`,
//! `cpu_tuple_cost`, `cpu_index_tuple_cost`, `cpu_operator_cost`,
//! `effective_cache_size`).
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

/// The `enable_*` settings (all on by default) and the cost constants
/// (PostgreSQL's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannerSettings {
    pub enable_seqscan: bool,
    pub enable_indexscan: bool,
    pub enable_indexonlyscan: bool,
    pub enable_bitmapscan: bool,
    pub enable_tidscan: bool,
    pub enable_nestloop: bool,
    pub enable_hashjoin: bool,
    pub seq_page_cost: f64,
    pub random_page_cost: f64,
    pub cpu_tuple_cost: f64,
    pub cpu_index_tuple_cost: f64,
    pub cpu_operator_cost: f64,
    /// In pages.
    pub effective_cache_size: f64,
}

impl Default for PlannerSettings {
    fn default() -> PlannerSettings {
        PlannerSettings {
            enable_seqscan: true,
            enable_indexscan: true,
            enable_indexonlyscan: true,
            enable_bitmapscan: true,
            enable_tidscan: true,
            enable_nestloop: true,
            enable_hashjoin: true,
            seq_page_cost: 1.0,
            random_page_cost: 4.0,
            cpu_tuple_cost: 0.01,
            cpu_index_tuple_cost: 0.005,
            cpu_operator_cost: 0.0025,
            effective_cache_size: 524_288.0,
        }
    }
}

impl PlannerSettings {
    /// The settings from lookups of boolean and numeric parameters by
    /// name (None: the default; `effective_cache_size` in pages).
    pub fn from_lookup(
        flag: impl Fn(&str) -> Option<bool>,
        number: impl Fn(&str) -> Option<f64>,
    ) -> PlannerSettings {
        let d = PlannerSettings::default();
        PlannerSettings {
            enable_seqscan: flag("enable_seqscan").unwrap_or(d.enable_seqscan),
            enable_indexscan: flag("enable_indexscan").unwrap_or(d.enable_indexscan),
            enable_indexonlyscan: flag("enable_indexonlyscan").unwrap_or(d.enable_indexonlyscan),
            enable_bitmapscan: flag("enable_bitmapscan").unwrap_or(d.enable_bitmapscan),
            enable_tidscan: flag("enable_tidscan").unwrap_or(d.enable_tidscan),
            enable_nestloop: flag("enable_nestloop").unwrap_or(d.enable_nestloop),
            enable_hashjoin: flag("enable_hashjoin").unwrap_or(d.enable_hashjoin),
            seq_page_cost: number("seq_page_cost").unwrap_or(d.seq_page_cost),
            random_page_cost: number("random_page_cost").unwrap_or(d.random_page_cost),
            cpu_tuple_cost: number("cpu_tuple_cost").unwrap_or(d.cpu_tuple_cost),
            cpu_index_tuple_cost: number("cpu_index_tuple_cost").unwrap_or(d.cpu_index_tuple_cost),
            cpu_operator_cost: number("cpu_operator_cost").unwrap_or(d.cpu_operator_cost),
            effective_cache_size: number("effective_cache_size").unwrap_or(d.effective_cache_size),
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
        let s = PlannerSettings::from_lookup(
            |n| (n == "enable_hashjoin").then_some(false),
            |n| (n == "random_page_cost").then_some(1.1),
        );
        assert!(!s.enable_hashjoin);
        assert!(s.enable_nestloop && s.enable_seqscan);
        assert_eq!(s.random_page_cost, 1.1);
        assert_eq!(s.seq_page_cost, 1.0);
    }
}
