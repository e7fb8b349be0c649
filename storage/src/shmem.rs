//! The shared-memory segment: creation by the postmaster, attachment by children,
//! and the safe views over the structures inside it.
//!
//! Every process maps the segment at a different address, so nothing inside is a
//! pointer: structures are found by offsets recorded in the header. Every structure
//! is `#[repr(C)]` and made only of atomics (or plain data written once before any
//! child exists), so a shared reference to it is sound from any process.
//!
//! ```text
//! offset 0                 HEADER_SIZE                     total_size
//! +------------------------+-------------------------------+
//! | ShmemHeader            | ProcArray: [ProcSlot; n]      |
//! | magic, layout, sizes   | one per backend slot          |
//! +------------------------+-------------------------------+
//! ```
//!
//! All `unsafe` that touches the segment is in this module.

use std::mem::{align_of, size_of};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64, Ordering};

use shared_memory::{Shmem, ShmemConf};

use crate::StorageError;

/// "OXIPGSHM" in ASCII: identifies a segment made by this project.
pub const SHMEM_MAGIC: u64 = 0x4f58_4950_4753_484d;
/// Bumped whenever the layout of anything in the segment changes; a child built
/// from another layout refuses to attach.
pub const SHMEM_LAYOUT_VERSION: u32 = 1;

/// The segment header, written by the postmaster before any child starts.
/// Fields other than atomics are never written after creation.
#[repr(C)]
pub struct ShmemHeader {
    magic: u64,
    layout_version: u32,
    /// Number of ProcArray slots (max_connections plus auxiliary processes).
    proc_slots: u32,
    total_size: u64,
    proc_array_offset: u64,
    /// The postmaster's pid (written once).
    postmaster_pid: AtomicI32,
    /// Why the postmaster is sending SIGQUIT ([`QuitReason`]); written by the
    /// postmaster just before it signals, read by the children it signals.
    quit_reason: AtomicU32,
    /// Postmaster start time, microseconds since 2000-01-01 UTC (written once).
    postmaster_start_time: AtomicI64,
}

/// Why the postmaster sends SIGQUIT to its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum QuitReason {
    None = 0,
    /// Another child died abnormally: crash-restart.
    Crash = 1,
    /// An immediate shutdown was requested.
    ImmediateShutdown = 2,
}

/// Lifecycle of a ProcArray slot, in [`ProcSlot::state`].
pub mod slot_state {
    /// No process uses the slot.
    pub const FREE: u32 = 0;
    /// A backend has claimed the slot and is starting up (authentication).
    pub const STARTING: u32 = 1;
    /// A backend serving a session: its pid and cancel key are valid.
    pub const ACTIVE: u32 = 2;
}

/// One backend's entry in the ProcArray (PostgreSQL's PGPROC plus PGXACT).
///
/// Locking: `state` is the claim word, changed with compare-and-swap by the
/// backend that takes the slot and reset to FREE by that backend at exit (or by
/// the postmaster when it reaps the child). The other fields are written only by
/// the owning backend while it holds the slot, and read by anyone (a cancel
/// request, `pg_cancel_backend`) after an Acquire load of `state` sees ACTIVE.
#[repr(C)]
pub struct ProcSlot {
    state: AtomicU32,
    pid: AtomicI32,
    cancel_key: AtomicI32,
    database_oid: AtomicU32,
    /// Session start, microseconds since 2000-01-01 UTC.
    backend_start: AtomicI64,
    /// Top-level transaction id, 0 when none (the storage issue fills it in).
    xid: AtomicU64,
    /// Oldest xid this backend's snapshots can see, 0 when none.
    xmin: AtomicU64,
}

/// What identifies a live session in the ProcArray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub slot: usize,
    pub pid: i32,
    pub cancel_key: i32,
    pub database_oid: u32,
    pub backend_start: i64,
}

impl ProcSlot {
    fn info(&self, slot: usize) -> Option<ProcInfo> {
        if self.state.load(Ordering::Acquire) != slot_state::ACTIVE {
            return None;
        }
        Some(ProcInfo {
            slot,
            pid: self.pid.load(Ordering::Relaxed),
            cancel_key: self.cancel_key.load(Ordering::Relaxed),
            database_oid: self.database_oid.load(Ordering::Relaxed),
            backend_start: self.backend_start.load(Ordering::Relaxed),
        })
    }
}

/// The sizes a segment is made for, derived from the settings.
#[derive(Debug, Clone, Copy)]
pub struct ShmemLayout {
    pub proc_slots: u32,
}

impl ShmemLayout {
    fn proc_array_offset() -> usize {
        size_of::<ShmemHeader>().next_multiple_of(64)
    }

    /// Total bytes of the segment.
    pub fn total_size(&self) -> usize {
        Self::proc_array_offset() + self.proc_slots as usize * size_of::<ProcSlot>()
    }
}

/// A mapping of the cluster's segment in this process.
pub struct SharedMemory {
    shmem: Shmem,
}

// SAFETY: the mapping is plain memory shared between processes; every access to it
// goes through atomics (see the module doc), so sharing the handle between threads
// adds nothing that sharing between processes does not already handle.
unsafe impl Send for SharedMemory {}
// SAFETY: as above: only atomics are read or written through `&SharedMemory`.
unsafe impl Sync for SharedMemory {}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory").field("os_id", &self.os_id()).field("len", &self.shmem.len()).finish()
    }
}

impl SharedMemory {
    /// Creates a new segment (postmaster only) and initialises the header and ProcArray.
    /// The segment is removed when the returned value is dropped.
    pub fn create(layout: ShmemLayout, postmaster_pid: i32, start_time: i64) -> Result<SharedMemory, StorageError> {
        let size = layout.total_size();
        let os_id = format!("oxipg.{}.{:08x}", postmaster_pid, rand::random::<u32>());
        let shmem = ShmemConf::new()
            .size(size)
            .os_id(&os_id)
            .create()
            .map_err(|e| StorageError::Shmem(format!("could not create shared memory segment \"{os_id}\": {e}")))?;
        assert!(shmem.len() >= size, "shared_memory returned a short mapping");
        let this = SharedMemory { shmem };
        // The segment is fresh (ftruncate fills it with zeroes) and no other process
        // knows its name yet: writing the header through the pointer races with nobody.
        let header = this.header_ptr();
        // SAFETY: `header` points at the start of a mapping of at least `size` bytes,
        // page-aligned and so aligned for ShmemHeader; no reference to it exists yet.
        unsafe {
            header.write(ShmemHeader {
                magic: SHMEM_MAGIC,
                layout_version: SHMEM_LAYOUT_VERSION,
                proc_slots: layout.proc_slots,
                total_size: size as u64,
                proc_array_offset: ShmemLayout::proc_array_offset() as u64,
                postmaster_pid: AtomicI32::new(postmaster_pid),
                quit_reason: AtomicU32::new(QuitReason::None as u32),
                postmaster_start_time: AtomicI64::new(start_time),
            });
        }
        // ProcSlots are all-zero = FREE, which is what the zero-filled segment holds.
        Ok(this)
    }

    /// Attaches to the segment a postmaster created and checks its header.
    pub fn attach(os_id: &str) -> Result<SharedMemory, StorageError> {
        let shmem = ShmemConf::new()
            .os_id(os_id)
            .open()
            .map_err(|e| StorageError::Shmem(format!("could not attach to shared memory segment \"{os_id}\": {e}")))?;
        if shmem.len() < size_of::<ShmemHeader>() {
            return Err(StorageError::Shmem(format!("shared memory segment \"{os_id}\" is too small")));
        }
        let this = SharedMemory { shmem };
        let h = this.header();
        if h.magic != SHMEM_MAGIC || h.layout_version != SHMEM_LAYOUT_VERSION {
            return Err(StorageError::Shmem(format!(
                "shared memory segment \"{os_id}\" has layout {:#x}/{} but this binary expects {:#x}/{}",
                h.magic, h.layout_version, SHMEM_MAGIC, SHMEM_LAYOUT_VERSION
            )));
        }
        let expected = (ShmemLayout { proc_slots: h.proc_slots }).total_size();
        if h.total_size as usize != expected || this.shmem.len() < expected {
            return Err(StorageError::Shmem(format!("shared memory segment \"{os_id}\" has an inconsistent size")));
        }
        Ok(this)
    }

    /// The operating-system name of the segment (what children get in `PG_SHMEM`).
    pub fn os_id(&self) -> &str {
        self.shmem.get_os_id()
    }

    fn header_ptr(&self) -> *mut ShmemHeader {
        const _: () = assert!(align_of::<ShmemHeader>() <= 4096);
        self.shmem.as_ptr().cast::<ShmemHeader>()
    }

    fn header(&self) -> &ShmemHeader {
        // SAFETY: the header was fully written by `create` before the segment name
        // was published, the mapping lives as long as `self`, and only atomics in it
        // change afterwards.
        unsafe { &*self.header_ptr() }
    }

    /// The postmaster's pid.
    pub fn postmaster_pid(&self) -> i32 {
        self.header().postmaster_pid.load(Ordering::Relaxed)
    }

    /// When the postmaster started, microseconds since 2000-01-01 UTC.
    pub fn postmaster_start_time(&self) -> i64 {
        self.header().postmaster_start_time.load(Ordering::Relaxed)
    }

    /// Records why children are about to get SIGQUIT.
    pub fn set_quit_reason(&self, reason: QuitReason) {
        self.header().quit_reason.store(reason as u32, Ordering::Release);
    }

    /// Why SIGQUIT was sent (None if it did not come from the postmaster).
    pub fn quit_reason(&self) -> QuitReason {
        match self.header().quit_reason.load(Ordering::Acquire) {
            1 => QuitReason::Crash,
            2 => QuitReason::ImmediateShutdown,
            _ => QuitReason::None,
        }
    }

    /// The ProcArray.
    pub fn proc_array(&self) -> ProcArray<'_> {
        let h = self.header();
        let n = h.proc_slots as usize;
        let offset = h.proc_array_offset as usize;
        // SAFETY: `attach`/`create` checked that offset + n slots lie inside the
        // mapping; the offset is a multiple of 64 in a page-aligned mapping, so the
        // slots are aligned; ProcSlot is made of atomics only and all-zero is valid.
        let slots = unsafe {
            std::slice::from_raw_parts(self.shmem.as_ptr().add(offset).cast::<ProcSlot>(), n)
        };
        ProcArray { slots }
    }

    /// Turns this mapping into a non-owner so that dropping it does not remove
    /// the segment (children, and a postmaster handing over to a successor).
    pub fn disown(&mut self) {
        self.shmem.set_owner(false);
    }
}

/// Removes a segment left behind by a postmaster that died without cleaning up.
/// Not an error if it is already gone.
pub fn remove_stale_segment(os_id: &str) -> Result<bool, StorageError> {
    match nix::sys::mman::shm_unlink(os_id) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::ENOENT) => Ok(false),
        Err(e) => Err(StorageError::Shmem(format!("could not remove stale shared memory segment \"{os_id}\": {e}"))),
    }
}

/// The array of backend slots in shared memory.
#[derive(Clone, Copy)]
pub struct ProcArray<'a> {
    slots: &'a [ProcSlot],
}

impl<'a> ProcArray<'a> {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Claims slot `slot` for this process (the slot number the postmaster handed
    /// over). Fails if the slot is out of range or not free.
    pub fn claim(&self, slot: usize, pid: i32) -> Option<ProcHandle<'a>> {
        let s = self.slots.get(slot)?;
        s.state
            .compare_exchange(slot_state::FREE, slot_state::STARTING, Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        s.pid.store(pid, Ordering::Relaxed);
        Some(ProcHandle { slot: s, index: slot })
    }

    /// Claims the first free slot in `range` (used by processes the postmaster did
    /// not give a slot to).
    pub fn claim_any(&self, range: std::ops::Range<usize>, pid: i32) -> Option<ProcHandle<'a>> {
        range.into_iter().find_map(|i| self.claim(i, pid))
    }

    /// Releases a slot whose process is gone (postmaster, after reaping it).
    pub fn release(&self, slot: usize) {
        if let Some(s) = self.slots.get(slot) {
            s.pid.store(0, Ordering::Relaxed);
            s.state.store(slot_state::FREE, Ordering::Release);
        }
    }

    /// Every active session.
    pub fn active(&self) -> impl Iterator<Item = ProcInfo> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.info(i))
    }

    /// The active session with this pid, if any.
    pub fn find_pid(&self, pid: i32) -> Option<ProcInfo> {
        self.active().find(|p| p.pid == pid)
    }

    /// Number of slots not free.
    pub fn in_use(&self) -> usize {
        self.slots.iter().filter(|s| s.state.load(Ordering::Acquire) != slot_state::FREE).count()
    }
}

/// This process's claim on a ProcArray slot; frees the slot when dropped.
pub struct ProcHandle<'a> {
    slot: &'a ProcSlot,
    index: usize,
}

impl ProcHandle<'_> {
    pub fn index(&self) -> usize {
        self.index
    }

    /// Publishes the session: from now on cancel requests can find it.
    pub fn activate(&self, cancel_key: i32, database_oid: u32, backend_start: i64) {
        self.slot.cancel_key.store(cancel_key, Ordering::Relaxed);
        self.slot.database_oid.store(database_oid, Ordering::Relaxed);
        self.slot.backend_start.store(backend_start, Ordering::Relaxed);
        self.slot.state.store(slot_state::ACTIVE, Ordering::Release);
    }
}

impl Drop for ProcHandle<'_> {
    fn drop(&mut self) {
        self.slot.cancel_key.store(0, Ordering::Relaxed);
        self.slot.pid.store(0, Ordering::Relaxed);
        self.slot.xid.store(0, Ordering::Relaxed);
        self.slot.xmin.store(0, Ordering::Relaxed);
        self.slot.state.store(slot_state::FREE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_attach_claim_and_find() {
        let pid = std::process::id() as i32;
        let shm = SharedMemory::create(ShmemLayout { proc_slots: 4 }, pid, 42).expect("create");
        let other = SharedMemory::attach(shm.os_id()).expect("attach");
        assert_eq!(other.postmaster_pid(), pid);
        assert_eq!(other.postmaster_start_time(), 42);
        assert_eq!(other.quit_reason(), QuitReason::None);
        shm.set_quit_reason(QuitReason::Crash);
        assert_eq!(other.quit_reason(), QuitReason::Crash);
        let pa = shm.proc_array();
        assert_eq!(pa.len(), 4);
        let h = pa.claim(2, 777).expect("slot 2 is free");
        assert!(pa.claim(2, 778).is_none(), "a claimed slot cannot be claimed twice");
        assert_eq!(other.proc_array().find_pid(777), None, "not visible before activate");
        h.activate(1234, 5, 0);
        let found = other.proc_array().find_pid(777).expect("visible in the other mapping");
        assert_eq!((found.slot, found.cancel_key, found.database_oid), (2, 1234, 5));
        drop(h);
        assert_eq!(other.proc_array().find_pid(777), None);
        assert_eq!(pa.in_use(), 0);
        assert!(pa.claim(9, 1).is_none(), "out of range");
    }

    #[test]
    fn attach_refuses_foreign_and_missing_segments() {
        assert!(SharedMemory::attach("oxipg.does-not-exist").is_err());
        let mut foreign = ShmemConf::new().size(4096).create().expect("plain segment");
        let id = foreign.get_os_id().to_owned();
        assert!(SharedMemory::attach(&id).is_err(), "zeroed header has the wrong magic");
        foreign.set_owner(true);
    }

    #[test]
    fn stale_segment_removal() {
        let mut shm = SharedMemory::create(ShmemLayout { proc_slots: 1 }, 1, 0).expect("create");
        shm.disown();
        let id = shm.os_id().to_owned();
        drop(shm);
        assert!(remove_stale_segment(&id).expect("unlink"));
        assert!(!remove_stale_segment(&id).expect("already gone"));
    }
}
