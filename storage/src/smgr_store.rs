//! The buffer manager's [`BlockStore`] over relation files: one process's
//! [`Smgr`] behind a mutex, with page checksums set on every write and
//! verified on every read (rule 3 of "Pages" in the README).
//!
//! The mutex only serialises this process's threads (the buffer manager's
//! `BlockStore` is `&self + Sync`, `Smgr` needs `&mut`); a backend has one
//! thread doing I/O, so it is never contended. Other processes have their own
//! `Smgr`: the buffer manager's I/O-in-progress flag keeps two processes from
//! reading or writing one block at once.

use std::sync::{Mutex, MutexGuard};

use crate::StorageError;
use crate::buffer::{BLCKSZ, BlockStore, BufferTag};
use crate::page::{Page, PageMut};
use crate::smgr::{Smgr, relpath};

/// Relation files as a block store.
pub struct SmgrBlockStore {
    smgr: Mutex<Smgr>,
}

impl std::fmt::Debug for SmgrBlockStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmgrBlockStore").finish_non_exhaustive()
    }
}

impl SmgrBlockStore {
    pub fn new(smgr: Smgr) -> SmgrBlockStore {
        SmgrBlockStore {
            smgr: Mutex::new(smgr),
        }
    }

    /// The storage manager, for relation-level operations (create, nblocks,
    /// extend, truncate, unlink, sync). Never hold it across a buffer-manager
    /// call: a read or write-out needs it.
    pub fn smgr(&self) -> MutexGuard<'_, Smgr> {
        // A poisoned lock means a panic while holding it, which ends the process.
        self.smgr.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl BlockStore for SmgrBlockStore {
    fn read_block(&self, tag: &BufferTag, buf: &mut [u8; BLCKSZ]) -> Result<(), StorageError> {
        self.smgr().read(tag.rel, tag.fork, tag.block, buf)?;
        Page::new(buf).verify(tag.block, &relpath(tag.rel, tag.fork))?;
        Ok(())
    }

    fn write_block(&self, tag: &BufferTag, buf: &[u8; BLCKSZ]) -> Result<(), StorageError> {
        let mut page = Box::new(*buf);
        let mut p = PageMut::new(&mut page);
        if !p.as_page().is_all_zero() {
            p.set_checksum(tag.block);
        }
        self.smgr()
            .write(tag.rel, tag.fork, tag.block, &page, false)?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::buffer::ForkNumber;
    use crate::smgr::RelFileLocator;
    use types::SqlState;

    #[test]
    fn checksums_are_set_on_write_and_verified_on_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("base/5")).unwrap();
        let store = SmgrBlockStore::new(Smgr::new(dir.path()));
        let rel = RelFileLocator::new(5, 16384);
        let tag = BufferTag::new(rel, ForkNumber::Main, 0);
        store.smgr().create(rel, ForkNumber::Main, false).unwrap();
        store
            .smgr()
            .extend(rel, ForkNumber::Main, 0, &[0u8; BLCKSZ], true)
            .unwrap();

        let mut page = Box::new([0u8; BLCKSZ]);
        PageMut::new(&mut page).init(0);
        store.write_block(&tag, &page).unwrap();
        let mut back = Box::new([0u8; BLCKSZ]);
        store.read_block(&tag, &mut back).unwrap();
        assert_ne!(Page::new(&back).checksum(), 0);

        // Flip one byte on disk: the read must fail with XX001 naming the block.
        let path = dir.path().join("base/5/16384");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        store.smgr().close(rel);
        let e = types::PgError::from(store.read_block(&tag, &mut back).unwrap_err());
        assert_eq!(e.code, SqlState::DataCorrupted);
        assert_eq!(
            e.message,
            "invalid page in block 0 of relation base/5/16384"
        );
    }
}
