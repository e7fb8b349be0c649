//! The heap access method: tables as unordered collections of tuples in pages.
//!
//! What is here today is its bottom layer, [`mod@tuple`]: the on-page tuple format
//! (header with xmin/xmax/cid/ctid/infomask, null bitmap, aligned data) and
//! converting a row of [`types::Datum`]s to and from it against a [`tuple::TupleDesc`].
//!
//! How a table is stored (PostgreSQL's `heapam`), for the layers still to come:
//!
//! ```text
//!   relation file (smgr)     block 0          block 1          block 2 ...
//!                            +-------------+  +-------------+
//!   heap page (page.rs)      | lp1 lp2 lp3 |  | lp1 ...     |
//!                            |   ...free   |  |             |
//!                            | t3  t2  t1  |  |         t1  |
//!                            +-------------+  +-------------+
//!   a tuple's address (ctid) = (block, line pointer) = ItemPointer
//! ```
//!
//! 1. A tuple never moves to another offset number while it lives: indexes and
//!    ctid chains point at `(block, offset)`. Compaction
//!    (`PageMut::repair_fragmentation`) moves bytes, never offset numbers.
//! 2. An UPDATE writes a new version and sets the old one's xmax and ctid to it;
//!    when the new version fits the same page and no indexed column changed it is
//!    a HOT update (`HEAP_HOT_UPDATED` on the old, `HEAP_ONLY_TUPLE` on the new)
//!    and needs no index entry. Pruning turns the chain's root line pointer into
//!    a REDIRECT to the first live member.
//! 3. Hint bits (`HEAP_XMIN_COMMITTED`, ...) cache CLOG lookups; they may be set
//!    under a shared content lock and are not WAL-logged (a torn hint bit is
//!    harmless because the checksum is recomputed on every write).
//! 4. Every tuple fits one page: long values are compressed in line
//!    ([`tuple::form_tuple`]), but there is no out-of-line TOAST storage yet
//!    (`54000 row is too big` for a row that does not fit once compressed).

pub mod freespace;
pub mod heapam;
pub mod indexbuild;
pub mod lz4;
pub mod pglz;
pub mod pruneheap;
pub mod tuple;
pub mod visibilitymap;

#[cfg(test)]
mod tests;

/// A deterministic pseudo-random byte stream (xorshift) from `seed`: data
/// that does not compress, for the tests of the codecs and of tuples.
#[cfg(test)]
pub(crate) fn noise_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

/// [`noise_bytes`] as lower-case letters: a text that does not compress.
#[cfg(test)]
pub(crate) fn noise_letters(n: usize, seed: u64) -> String {
    let mut seed = seed;
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (b'a' + (seed % 26) as u8) as char
        })
        .collect()
}
