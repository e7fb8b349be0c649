//! Interrupts: what signals ask of this backend, checked at safe points.
//!
//! As in PostgreSQL, a signal handler only sets a flag; the code checks the flags
//! in [`check_for_interrupts`], called from every loop that can run long (the
//! executor's, pg_sleep's). SIGINT is a query cancel (sent by the backend that
//! received a CancelRequest, or by pg_cancel_backend), SIGTERM ends the session
//! (pg_terminate_backend, fast shutdown); SIGQUIT (crash-restart, immediate
//! shutdown) is handled in `crash_notice`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use signal_hook::consts::{SIGINT, SIGTERM};
use types::{PgError, PgResult, SqlState};

/// The flags signal handlers set.
#[derive(Clone)]
pub struct Interrupts {
    cancel: Arc<AtomicBool>,
    die: Arc<AtomicBool>,
}

impl Interrupts {
    /// Installs the handlers. Call once, early in the backend's life.
    pub fn install() -> std::io::Result<Interrupts> {
        let cancel = Arc::new(AtomicBool::new(false));
        let die = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(SIGINT, cancel.clone())?;
        signal_hook::flag::register(SIGTERM, die.clone())?;
        // SIGQUIT is handled by crash_notice's thread once the socket is known;
        // until then the default action (terminate) is what PostgreSQL does too.
        Ok(Interrupts { cancel, die })
    }

    /// Forgets a cancel that arrived while no statement ran (PostgreSQL ignores those).
    pub fn clear_cancel(&self) {
        self.cancel.store(false, Ordering::SeqCst);
    }

    /// Raises the pending interrupt, if any: FATAL 57P01 for termination, 57014 for
    /// a cancel or an expired statement_timeout.
    pub fn check(&self, deadline: Option<Instant>) -> PgResult<()> {
        if self.die.load(Ordering::SeqCst) {
            return Err(terminate_error());
        }
        // A plain load first: this runs for every row, and the swap is a
        // locked instruction.
        if self.cancel.load(Ordering::Relaxed) && self.cancel.swap(false, Ordering::SeqCst) {
            return Err(PgError::query_canceled());
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(PgError::new(
                SqlState::QueryCanceled,
                "canceling statement due to statement timeout",
            ));
        }
        Ok(())
    }
}

/// The FATAL a terminated session gets.
pub fn terminate_error() -> PgError {
    PgError::fatal(
        SqlState::AdminShutdown,
        "terminating connection due to administrator command",
    )
}
