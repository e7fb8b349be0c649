//! `postmaster.pid`: the data directory's lock file, in PostgreSQL's layout.
//!
//! ```text
//! line 1  postmaster pid            line 5  first Unix socket directory
//! line 2  data directory            line 6  first listen address
//! line 3  start time (epoch secs)   line 7  shared-memory segment id
//! line 4  port                      line 8  status: starting | ready | stopping
//! ```
//! Created with O_EXCL; a file whose pid is dead is stale and is removed together
//! with the segment it names.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use nix::sys::signal::kill;
use nix::unistd::Pid;

pub const PID_FILE: &str = "postmaster.pid";

/// The fields of the lock file.
#[derive(Debug, Clone)]
pub struct PidFile {
    pub pid: i32,
    pub data_dir: PathBuf,
    pub start_time: i64,
    pub port: u16,
    pub socket_dir: String,
    pub listen_addr: String,
    pub shmem_id: String,
    pub status: &'static str,
}

impl PidFile {
    fn render(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{:<8}\n",
            self.pid,
            self.data_dir.display(),
            self.start_time,
            self.port,
            self.socket_dir,
            self.listen_addr,
            self.shmem_id,
            self.status
        )
    }

    /// Rewrites the file in place (the lock is already ours).
    pub fn update(&self) -> std::io::Result<()> {
        let path = self.data_dir.join(PID_FILE);
        let tmp = self.data_dir.join("postmaster.pid.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(self.render().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(tmp, path)
    }
}

/// What is in an existing lock file.
#[derive(Debug)]
pub struct Existing {
    pub pid: i32,
    pub shmem_id: Option<String>,
}

fn read_existing(path: &Path) -> std::io::Result<Option<Existing>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let lines: Vec<&str> = text.lines().collect();
    let pid = lines
        .first()
        .and_then(|l| l.trim().parse::<i32>().ok())
        .unwrap_or(0);
    let shmem_id = lines
        .get(6)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    Ok(Some(Existing { pid, shmem_id }))
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live postmaster owns the directory.
    Held {
        pid: i32,
    },
    Io(std::io::Error),
}

/// Takes the data directory's lock, removing a stale file (and the stale
/// segment it names) left by a postmaster that is gone.
pub fn acquire(data_dir: &Path, initial: &PidFile) -> Result<(), LockError> {
    let path = data_dir.join(PID_FILE);
    for _ in 0..100 {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                f.write_all(initial.render().as_bytes())
                    .map_err(LockError::Io)?;
                f.sync_all().map_err(LockError::Io)?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let Some(old) = read_existing(&path).map_err(LockError::Io)? else {
                    continue;
                };
                let me = std::process::id() as i32;
                let alive =
                    old.pid > 0 && old.pid != me && kill(Pid::from_raw(old.pid), None).is_ok();
                if alive {
                    return Err(LockError::Held { pid: old.pid });
                }
                if let Some(id) = &old.shmem_id {
                    match storage::shmem::remove_stale_segment(id) {
                        Ok(true) => tracing::info!("removed stale shared memory segment \"{id}\""),
                        Ok(false) => {}
                        Err(e) => tracing::warn!("{e}"),
                    }
                }
                tracing::info!(
                    "removing stale lock file \"{}\" of postmaster PID {}",
                    path.display(),
                    old.pid
                );
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(LockError::Io(e)),
                }
            }
            Err(e) => return Err(LockError::Io(e)),
        }
    }
    Err(LockError::Io(std::io::Error::other(
        "could not create lock file after repeated attempts",
    )))
}

/// Removes the lock file at shutdown.
pub fn release(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(PID_FILE));
}
