//! SIGQUIT: leave at once, telling the client why (PostgreSQL's `quickdie`).
//!
//! The postmaster sends SIGQUIT when another process crashed or for an
//! immediate shutdown, and records which in shared memory. A dedicated thread
//! waits for the signal, so the message goes out even while the main thread
//! runs a query; it writes a WARNING on its own handle of the client socket and
//! exits with status 2 without cleaning up, as the segment is being discarded.

use std::io::Write;

use signal_hook::consts::SIGQUIT;
use signal_hook::iterator::Signals;
use storage::shmem::{QuitReason, SharedMemory};
use types::{PgError, SqlState};

fn notice(reason: QuitReason) -> PgError {
    match reason {
        QuitReason::Crash => PgError::new(SqlState::CrashShutdown, "terminating connection because of crash of another server process")
            .with_detail("The postmaster has commanded this server process to roll back the current transaction and exit, because another server process exited abnormally and possibly corrupted shared memory.")
            .with_hint("In a moment you should be able to reconnect to the database and repeat your command."),
        QuitReason::ImmediateShutdown | QuitReason::None => {
            PgError::new(SqlState::AdminShutdown, "terminating connection due to immediate shutdown command")
        }
    }
}

/// Starts the thread. `socket` is a second handle on the client connection.
pub fn install<W: Write + Send + 'static>(mut socket: W, shmem: &'static SharedMemory) {
    let mut signals = match Signals::new([SIGQUIT]) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("could not install the SIGQUIT handler: {e}");
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("quickdie".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                // A WARNING, as PostgreSQL sends it; the connection simply ends after.
                let _ = socket.write_all(&protocol::error::encode_warning(&notice(
                    shmem.quit_reason(),
                )));
                std::process::exit(2);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("could not start the SIGQUIT thread: {e}");
    }
}
