//! What a buffer holds: [`BufferTag`] = relation file + fork + block number.
//!
//! The relation-file identifier, fork numbers and block size are smgr's,
//! re-exported here so that buffer code names one set of types.

pub use crate::smgr::{BLCKSZ, BlockNumber, ForkNumber, RelFileLocator};

/// Identifies the disk block a buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufferTag {
    pub rel: RelFileLocator,
    pub fork: ForkNumber,
    pub block: BlockNumber,
}

impl BufferTag {
    pub fn new(rel: RelFileLocator, fork: ForkNumber, block: BlockNumber) -> BufferTag {
        BufferTag { rel, fork, block }
    }

    /// The five words the tag is stored as in shared memory.
    pub(crate) fn to_words(self) -> [u32; 5] {
        [
            self.rel.spc_oid,
            self.rel.db_oid,
            self.rel.rel_number,
            self.fork as u32,
            self.block,
        ]
    }

    /// The tag back from its words; `None` if the fork word is garbage.
    pub(crate) fn from_words(w: [u32; 5]) -> Option<BufferTag> {
        Some(BufferTag {
            rel: RelFileLocator {
                spc_oid: w[0],
                db_oid: w[1],
                rel_number: w[2],
            },
            fork: ForkNumber::from_u32(w[3])?,
            block: w[4],
        })
    }

    /// A well-mixed 32-bit hash; the low bits choose the mapping partition and
    /// the high bits the home slot inside it. Every process computes the same
    /// value (no per-process random seed: the table is shared).
    pub fn hash(&self) -> u32 {
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
        for w in self.to_words() {
            h = (h ^ u64::from(w)).wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
        }
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 29;
        h as u32
    }
}

impl std::fmt::Display for BufferTag {
    /// `spc/db/rel fork block`, e.g. `1663/5/16384 main 7`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{} {} {}",
            self.rel.spc_oid,
            self.rel.db_oid,
            self.rel.rel_number,
            self.fork.name(),
            self.block
        )
    }
}
