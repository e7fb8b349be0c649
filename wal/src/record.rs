//! WAL records: the frame every record is stored in, and the bodies.
//!
//! ```text
//!  0           4       8              16      17      18         24
//! +-----------+-------+--------------+-------+-------+----------+----------------+---------+
//! | total_len | crc   | xid          | rmid  | info  | reserved | body (bincode) | padding |
//! | u32       | u32   | u64          | u8    | u8    | 6 bytes  |                | to 8    |
//! +-----------+-------+--------------+-------+-------+----------+----------------+---------+
//! ```
//!
//! Little-endian. `total_len` counts header and body, not the padding that
//! aligns the next record to 8 bytes. The CRC-32C covers the record's own LSN
//! (8 bytes) followed by bytes 8..total_len and then bytes 0..4: a record is
//! valid only at the position it was written at, so the stale contents of a
//! recycled segment never pass for a record.

use bincode::{Decode, Encode};

use crate::delta;
use crate::segment::Lsn;

/// Bytes of the frame before the body.
pub const HEADER_SIZE: usize = 24;
/// No record is longer than this (a record is copied into the WAL buffers in
/// one piece; see `storage::xlog`).
pub const MAX_RECORD_SIZE: usize = 1 << 20;

/// The resource managers: who redoes a record (PostgreSQL's `RmgrId`, with
/// PostgreSQL's numbers where the manager exists there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RmgrId {
    Xlog = 0,
    Transaction = 1,
    Storage = 2,
    Database = 4,
    Heap2 = 9,
    Heap = 10,
    Btree = 11,
    /// Free-space map pages (PostgreSQL does not log them; we log every page).
    FreeSpace = 20,
}

impl RmgrId {
    pub fn from_u8(v: u8) -> Option<RmgrId> {
        Some(match v {
            0 => RmgrId::Xlog,
            1 => RmgrId::Transaction,
            2 => RmgrId::Storage,
            4 => RmgrId::Database,
            9 => RmgrId::Heap2,
            10 => RmgrId::Heap,
            11 => RmgrId::Btree,
            20 => RmgrId::FreeSpace,
            _ => return None,
        })
    }

    /// The name `pg_waldump` prints.
    pub fn name(self) -> &'static str {
        match self {
            RmgrId::Xlog => "XLOG",
            RmgrId::Transaction => "Transaction",
            RmgrId::Storage => "Storage",
            RmgrId::Database => "Database",
            RmgrId::Heap2 => "Heap2",
            RmgrId::Heap => "Heap",
            RmgrId::Btree => "Btree",
            RmgrId::FreeSpace => "FreeSpace",
        }
    }
}

/// A relation file, as `storage::smgr::RelFileLocator` (this crate cannot
/// depend on storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct RelFileId {
    pub spc_oid: u32,
    pub db_oid: u32,
    pub rel_number: u32,
}

impl std::fmt::Display for RelFileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.spc_oid, self.db_oid, self.rel_number)
    }
}

/// What a page change did (decides the resource manager and the waldump
/// text; redo is the same for all: apply the delta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum PageOp {
    HeapInsert,
    HeapDelete,
    HeapUpdate,
    HeapHotUpdate,
    HeapLock,
    /// A tuple header changed in place (savepoint rollback, hint bits with an
    /// image).
    HeapInplace,
    Prune,
    Vacuum,
    Freeze,
    /// A full-page image taken only to protect hint bits (PostgreSQL's
    /// `XLOG_FPI_FOR_HINT`).
    FpiForHint,
    /// A page written whole (new page, rewritten relation).
    NewPage,
    FsmSet,
    /// B-tree: a new metapage (CREATE INDEX, REINDEX).
    BtreeMeta,
    /// B-tree: an entry added to a leaf page.
    BtreeInsertLeaf,
    /// B-tree: a downlink added to an internal page (after a split below).
    BtreeInsertUpper,
    /// B-tree: a page split in two, with the downlink for the new right page
    /// added to the parent and any splits this caused further up, all in one
    /// record (the pages changed are its blocks).
    BtreeSplit,
    /// B-tree: a root split: a new root one level up, the metapage pointing at it.
    BtreeNewRoot,
    /// B-tree: entries removed from a leaf page (VACUUM, or dead entries
    /// removed to make room).
    BtreeDelete,
    /// A heap page marked all-visible (`PD_ALL_VISIBLE`) by VACUUM.
    HeapVisible,
    /// A visibility-map bit set (VACUUM) or cleared (a change to its page).
    VmSet,
    VmClear,
    /// B-tree: an empty leaf unlinked from its siblings and its parent and
    /// marked deleted (VACUUM), all in one record.
    BtreeUnlinkPage,
}

impl PageOp {
    pub fn rmgr(self) -> RmgrId {
        match self {
            PageOp::HeapInsert
            | PageOp::HeapDelete
            | PageOp::HeapUpdate
            | PageOp::HeapHotUpdate
            | PageOp::HeapLock
            | PageOp::HeapInplace => RmgrId::Heap,
            PageOp::Prune | PageOp::Vacuum | PageOp::Freeze | PageOp::NewPage => RmgrId::Heap2,
            PageOp::FpiForHint => RmgrId::Xlog,
            PageOp::FsmSet => RmgrId::FreeSpace,
            PageOp::BtreeMeta
            | PageOp::BtreeInsertLeaf
            | PageOp::BtreeInsertUpper
            | PageOp::BtreeSplit
            | PageOp::BtreeNewRoot
            | PageOp::BtreeDelete
            | PageOp::BtreeUnlinkPage => RmgrId::Btree,
            PageOp::HeapVisible | PageOp::VmSet | PageOp::VmClear => RmgrId::Heap2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PageOp::HeapInsert => "INSERT",
            PageOp::HeapDelete => "DELETE",
            PageOp::HeapUpdate => "UPDATE",
            PageOp::HeapHotUpdate => "HOT_UPDATE",
            PageOp::HeapLock => "LOCK",
            PageOp::HeapInplace => "INPLACE",
            PageOp::Prune => "PRUNE",
            PageOp::Vacuum => "VACUUM",
            PageOp::Freeze => "FREEZE_PAGE",
            PageOp::FpiForHint => "FPI_FOR_HINT",
            PageOp::NewPage => "NEW_PAGE",
            PageOp::FsmSet => "SET",
            PageOp::BtreeMeta => "NEWMETA",
            PageOp::BtreeInsertLeaf => "INSERT_LEAF",
            PageOp::BtreeInsertUpper => "INSERT_UPPER",
            PageOp::BtreeSplit => "SPLIT",
            PageOp::BtreeNewRoot => "NEWROOT",
            PageOp::BtreeDelete => "DELETE",
            PageOp::HeapVisible => "VISIBLE",
            PageOp::VmSet => "VM_SET",
            PageOp::VmClear => "VM_CLEAR",
            PageOp::BtreeUnlinkPage => "UNLINK_PAGE",
        }
    }
}

/// One page's part of a record.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct BlockChange {
    pub rel: RelFileId,
    pub fork: u8,
    pub block: u32,
    /// The delta is against an all-zero page: a full-page image (redo does not
    /// read the old page).
    pub image: bool,
    /// Fragments, see [`crate::delta`].
    pub delta: Vec<u8>,
}

/// A checkpoint (PostgreSQL's `CheckPoint`): redo of a crash starts at `redo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct CheckpointRecord {
    pub redo: u64,
    pub next_xid: u64,
    pub next_oid: u64,
    pub oldest_xid: u64,
    /// Seconds since the Unix epoch.
    pub time: i64,
    pub shutdown: bool,
}

/// Every record body. The frame's rmid/info are derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum WalRecord {
    Checkpoint(CheckpointRecord),
    /// A change to one or more pages.
    Page {
        op: PageOp,
        blocks: Vec<BlockChange>,
    },
    /// Transaction commit: files to unlink and databases to remove once it
    /// is committed.
    Commit {
        time: i64,
        drop_rels: Vec<RelFileId>,
        drop_dbs: Vec<u32>,
    },
    /// Transaction abort: files its aborted creations leave to unlink.
    Abort {
        time: i64,
        drop_rels: Vec<RelFileId>,
    },
    /// A relation fork file was created.
    SmgrCreate {
        rel: RelFileId,
        fork: u8,
    },
    /// A relation fork was truncated to `nblocks`.
    SmgrTruncate {
        rel: RelFileId,
        fork: u8,
        nblocks: u32,
    },
    /// Database `db` was created as a copy of the files of `template`.
    DbCreate {
        db: u32,
        template: u32,
    },
    /// A no-op that only moves the insert position (tests, `pg_switch_wal`-like).
    Noop,
    /// A heap page pruned (`op` `Prune`, or `Vacuum` for both of VACUUM's
    /// heap passes), logged by what was done rather than by the bytes that
    /// moved: the HOT chain roots made REDIRECTs (`(root, first surviving
    /// member)`), the line pointers made DEAD (no storage, kept until the
    /// index entries pointing at them are gone) and those made UNUSED; then
    /// the page is defragmented and its trailing unused pointers dropped, and
    /// it gets the new prune xid. Redo repeats exactly that, which gives the
    /// same layout (PostgreSQL's `XLOG_HEAP2_PRUNE` and `XLOG_HEAP2_VACUUM`).
    HeapPrune {
        op: PageOp,
        rel: RelFileId,
        block: u32,
        redirected: Vec<(u16, u16)>,
        dead: Vec<u16>,
        unused: Vec<u16>,
        prune_xid: u64,
    },
}

impl WalRecord {
    pub fn rmgr(&self) -> RmgrId {
        match self {
            WalRecord::Checkpoint(_) | WalRecord::Noop => RmgrId::Xlog,
            WalRecord::Page { op, .. } | WalRecord::HeapPrune { op, .. } => op.rmgr(),
            WalRecord::Commit { .. } | WalRecord::Abort { .. } => RmgrId::Transaction,
            WalRecord::SmgrCreate { .. } | WalRecord::SmgrTruncate { .. } => RmgrId::Storage,
            WalRecord::DbCreate { .. } => RmgrId::Database,
        }
    }

    /// A per-manager record kind byte (PostgreSQL's `xl_info`).
    pub fn info(&self) -> u8 {
        match self {
            WalRecord::Checkpoint(c) => u8::from(!c.shutdown),
            WalRecord::Page { op, .. } | WalRecord::HeapPrune { op, .. } => *op as u8,
            WalRecord::Commit { .. }
            | WalRecord::SmgrCreate { .. }
            | WalRecord::DbCreate { .. } => 0,
            WalRecord::Abort { .. } | WalRecord::SmgrTruncate { .. } => 1,
            WalRecord::Noop => 2,
        }
    }

    /// One line in `pg_waldump`'s manner (without the frame fields).
    pub fn describe(&self) -> String {
        match self {
            WalRecord::Checkpoint(c) => format!(
                "CHECKPOINT_{} redo {}; next xid {}; next oid {}; oldest xid {}",
                if c.shutdown { "SHUTDOWN" } else { "ONLINE" },
                Lsn(c.redo),
                c.next_xid,
                c.next_oid,
                c.oldest_xid
            ),
            WalRecord::Page { op, blocks } => {
                let mut s = op.name().to_owned();
                for b in blocks {
                    let (frags, bytes) = delta::summary(&b.delta);
                    s.push_str(&format!(
                        ", blkref rel {} fork {} blk {}{} ({frags} fragments, {bytes} bytes)",
                        b.rel,
                        fork_name(b.fork),
                        b.block,
                        if b.image { " FPW" } else { "" }
                    ));
                }
                s
            }
            WalRecord::Commit {
                drop_rels,
                drop_dbs,
                ..
            } => {
                let mut s = "COMMIT".to_owned();
                if !drop_rels.is_empty() {
                    s.push_str(&format!("; rels: {}", join(drop_rels)));
                }
                if !drop_dbs.is_empty() {
                    s.push_str(&format!("; dbs: {}", join(drop_dbs)));
                }
                s
            }
            WalRecord::Abort { drop_rels, .. } => {
                let mut s = "ABORT".to_owned();
                if !drop_rels.is_empty() {
                    s.push_str(&format!("; rels: {}", join(drop_rels)));
                }
                s
            }
            WalRecord::SmgrCreate { rel, fork } => {
                format!("CREATE base/{rel} fork {}", fork_name(*fork))
            }
            WalRecord::SmgrTruncate { rel, fork, nblocks } => {
                format!(
                    "TRUNCATE base/{rel} fork {} to {nblocks} blocks",
                    fork_name(*fork)
                )
            }
            WalRecord::DbCreate { db, template } => format!("CREATE copy dir {template} to {db}"),
            WalRecord::Noop => "NOOP".to_owned(),
            WalRecord::HeapPrune {
                op,
                rel,
                block,
                redirected,
                dead,
                unused,
                prune_xid,
            } => format!(
                "{} redirected {}, dead {}, unused {}; prune xid {prune_xid}, blkref rel {rel} fork main blk {block}",
                op.name(),
                redirected.len(),
                dead.len(),
                unused.len()
            ),
        }
    }
}

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn fork_name(fork: u8) -> &'static str {
    match fork {
        0 => "main",
        1 => "fsm",
        2 => "vm",
        3 => "init",
        _ => "?",
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Frames `record` of transaction `xid` for insertion at `lsn`: the returned
/// bytes are padded to a multiple of 8.
pub fn encode(record: &WalRecord, xid: u64, lsn: Lsn) -> Vec<u8> {
    let mut out = encode_unplaced(record, xid);
    place(&mut out, lsn);
    out
}

/// Frames `record` without its CRC, which depends on where it lands; [`place`]
/// adds it once the position is reserved.
pub fn encode_unplaced(record: &WalRecord, xid: u64) -> Vec<u8> {
    // Room for a row's change without growing (most records are smaller).
    let mut out = Vec::with_capacity(512);
    out.resize(HEADER_SIZE, 0);
    // Encoding into a Vec cannot fail for these types.
    bincode::encode_into_std_write(record, &mut out, config())
        .expect("encoding a WAL record into memory");
    let total = out.len();
    out[0..4].copy_from_slice(&(total as u32).to_le_bytes());
    out[8..16].copy_from_slice(&xid.to_le_bytes());
    out[16] = record.rmgr() as u8;
    out[17] = record.info();
    out.resize(total.next_multiple_of(8), 0);
    out
}

/// Sets the CRC of a record framed by [`encode_unplaced`] for position `lsn`.
pub fn place(frame: &mut [u8], lsn: Lsn) {
    let total = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
    let crc = crc_of(lsn, &frame[..total]);
    frame[4..8].copy_from_slice(&crc.to_le_bytes());
}

fn crc_of(lsn: Lsn, rec: &[u8]) -> u32 {
    let c = crc32c::crc32c(&lsn.0.to_le_bytes());
    let c = crc32c::crc32c_append(c, &rec[8..]);
    crc32c::crc32c_append(c, &rec[0..4])
}

/// The frame fields of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub total_len: u32,
    pub xid: u64,
    pub rmid: u8,
    pub info: u8,
}

impl RecordHeader {
    /// Bytes this record takes in the stream, padding included.
    pub fn stream_len(&self) -> u64 {
        u64::from(self.total_len).next_multiple_of(8)
    }
}

/// Reads the header length field of a frame that starts with `head` (at least
/// 4 bytes): `None` if it cannot be a record.
pub fn frame_len(head: &[u8]) -> Option<usize> {
    let len = u32::from_le_bytes(head.get(0..4)?.try_into().ok()?) as usize;
    (HEADER_SIZE..=MAX_RECORD_SIZE)
        .contains(&len)
        .then_some(len)
}

/// Checks and decodes a whole frame found at `lsn`. `None` if the CRC does not
/// match or the body does not decode: the end of valid WAL.
pub fn decode(frame: &[u8], lsn: Lsn) -> Option<(RecordHeader, WalRecord)> {
    let total = frame_len(frame)?;
    let rec = frame.get(..total)?;
    let stored = u32::from_le_bytes(rec[4..8].try_into().ok()?);
    if crc_of(lsn, rec) != stored {
        return None;
    }
    let header = RecordHeader {
        total_len: total as u32,
        xid: u64::from_le_bytes(rec[8..16].try_into().ok()?),
        rmid: rec[16],
        info: rec[17],
    };
    let (body, used): (WalRecord, usize) =
        bincode::decode_from_slice(&rec[HEADER_SIZE..], config()).ok()?;
    if used != total - HEADER_SIZE || body.rmgr() as u8 != header.rmid {
        return None;
    }
    Some((header, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WalRecord {
        WalRecord::Page {
            op: PageOp::HeapInsert,
            blocks: vec![BlockChange {
                rel: RelFileId {
                    spc_oid: 1663,
                    db_oid: 5,
                    rel_number: 16384,
                },
                fork: 0,
                block: 3,
                image: false,
                delta: vec![24, 2 << 1, 7, 7],
            }],
        }
    }

    #[test]
    fn a_record_decodes_only_where_it_was_written() {
        let lsn = Lsn(0x0100_0040);
        let frame = encode(&sample(), 742, lsn);
        assert_eq!(frame.len() % 8, 0);
        let (h, body) = decode(&frame, lsn).expect("decode");
        assert_eq!((h.xid, h.rmid, body), (742, RmgrId::Heap as u8, sample()));
        assert!(decode(&frame, Lsn(0x0100_0048)).is_none());
    }

    #[test]
    fn any_flipped_bit_invalidates_the_record() {
        let lsn = Lsn(0x0100_0000);
        let frame = encode(&sample(), 9, lsn);
        let total = frame_len(&frame).expect("frame length");
        for byte in 0..total {
            for bit in 0..8 {
                let mut f = frame.clone();
                f[byte] ^= 1 << bit;
                assert!(
                    decode(&f, lsn).is_none(),
                    "flip of bit {bit} in byte {byte} went unnoticed"
                );
            }
        }
    }

    #[test]
    fn descriptions_name_the_operation() {
        assert_eq!(
            sample().describe(),
            "INSERT, blkref rel 1663/5/16384 fork main blk 3 (1 fragments, 2 bytes)"
        );
        let c = WalRecord::Commit {
            time: 0,
            drop_rels: vec![],
            drop_dbs: vec![16390],
        };
        assert_eq!(c.describe(), "COMMIT; dbs: 16390");
    }
}
