//! What a heavyweight lock is on ([`LockTag`], PostgreSQL's `LOCKTAG`), its
//! three-word encoding in the shared table, its hash, and the words
//! `pg_locks` and deadlock reports use for it.

/// The object a heavyweight lock is on. Database and relation numbers are OIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LockTag {
    /// A whole relation (table, index, sequence, view, ...).
    Relation { db: u32, rel: u32 },
    /// The right to extend a relation by new blocks.
    RelationExtend { db: u32, rel: u32 },
    /// One page of a relation (hash indexes, GIN pending list in PostgreSQL).
    Page { db: u32, rel: u32, block: u32 },
    /// One tuple: taken briefly by row locking to queue waiters in order.
    Tuple {
        db: u32,
        rel: u32,
        block: u32,
        offset: u16,
    },
    /// A transaction: its owner holds it Exclusive until it ends, and anyone
    /// who must wait for the transaction takes it Share.
    TransactionId(u64),
    /// A non-relation database object (pg_class OID of its catalog, its OID,
    /// sub-object such as a column number).
    Object {
        db: u32,
        class_oid: u32,
        obj_oid: u32,
        sub_id: u32,
    },
    /// An advisory lock: `pg_advisory_lock(bigint)` (`int4_pair` false) or
    /// `pg_advisory_lock(int, int)` (`int4_pair` true, `key` = first << 32 |
    /// second). The two forms are different locks, as in PostgreSQL.
    Advisory { db: u32, key: u64, int4_pair: bool },
}

const KIND_RELATION: u64 = 1;
const KIND_EXTEND: u64 = 2;
const KIND_PAGE: u64 = 3;
const KIND_TUPLE: u64 = 4;
const KIND_XID: u64 = 5;
const KIND_OBJECT: u64 = 6;
const KIND_ADVISORY: u64 = 7;
const KIND_ADVISORY_PAIR: u64 = 8;

impl LockTag {
    /// The tag as three words for the shared table. Word 0 holds the kind in
    /// its low byte (never 0, so an all-zero entry is no tag) and the database
    /// in its high half.
    pub(crate) fn encode(self) -> [u64; 3] {
        let w0 = |kind: u64, db: u32| kind | (u64::from(db) << 32);
        match self {
            LockTag::Relation { db, rel } => [w0(KIND_RELATION, db), rel.into(), 0],
            LockTag::RelationExtend { db, rel } => [w0(KIND_EXTEND, db), rel.into(), 0],
            LockTag::Page { db, rel, block } => [w0(KIND_PAGE, db), rel.into(), block.into()],
            LockTag::Tuple {
                db,
                rel,
                block,
                offset,
            } => [
                w0(KIND_TUPLE, db),
                rel.into(),
                u64::from(block) | (u64::from(offset) << 32),
            ],
            LockTag::TransactionId(xid) => [KIND_XID, xid, 0],
            LockTag::Object {
                db,
                class_oid,
                obj_oid,
                sub_id,
            } => [
                w0(KIND_OBJECT, db),
                u64::from(class_oid) | (u64::from(obj_oid) << 32),
                sub_id.into(),
            ],
            LockTag::Advisory { db, key, int4_pair } => [
                w0(
                    if int4_pair {
                        KIND_ADVISORY_PAIR
                    } else {
                        KIND_ADVISORY
                    },
                    db,
                ),
                key,
                0,
            ],
        }
    }

    /// The inverse of [`Self::encode`]; `None` for a free entry or damage.
    pub(crate) fn decode(w: [u64; 3]) -> Option<LockTag> {
        let db = (w[0] >> 32) as u32;
        let lo = |x: u64| x as u32;
        let hi = |x: u64| (x >> 32) as u32;
        Some(match w[0] & 0xff {
            KIND_RELATION => LockTag::Relation { db, rel: lo(w[1]) },
            KIND_EXTEND => LockTag::RelationExtend { db, rel: lo(w[1]) },
            KIND_PAGE => LockTag::Page {
                db,
                rel: lo(w[1]),
                block: lo(w[2]),
            },
            KIND_TUPLE => LockTag::Tuple {
                db,
                rel: lo(w[1]),
                block: lo(w[2]),
                offset: hi(w[2]) as u16,
            },
            KIND_XID => LockTag::TransactionId(w[1]),
            KIND_OBJECT => LockTag::Object {
                db,
                class_oid: lo(w[1]),
                obj_oid: hi(w[1]),
                sub_id: lo(w[2]),
            },
            KIND_ADVISORY => LockTag::Advisory {
                db,
                key: w[1],
                int4_pair: false,
            },
            KIND_ADVISORY_PAIR => LockTag::Advisory {
                db,
                key: w[1],
                int4_pair: true,
            },
            _ => return None,
        })
    }

    /// A hash of the encoded tag, the same in every process (no per-process
    /// random state): it chooses the partition and the bucket.
    pub(crate) fn hash(self) -> u64 {
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
        for w in self.encode() {
            // splitmix64's finaliser over the running value.
            h = (h ^ w).wrapping_add(0x9e37_79b9_7f4a_7c15);
            h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^= h >> 31;
        }
        h
    }

    /// `pg_locks.locktype`.
    pub fn locktype(self) -> &'static str {
        match self {
            LockTag::Relation { .. } => "relation",
            LockTag::RelationExtend { .. } => "extend",
            LockTag::Page { .. } => "page",
            LockTag::Tuple { .. } => "tuple",
            LockTag::TransactionId(_) => "transactionid",
            LockTag::Object { .. } => "object",
            LockTag::Advisory { .. } => "advisory",
        }
    }

    /// The database the tag belongs to (`pg_locks.database`); `None` for
    /// transaction ids, which belong to no database.
    pub fn database(self) -> Option<u32> {
        match self {
            LockTag::Relation { db, .. }
            | LockTag::RelationExtend { db, .. }
            | LockTag::Page { db, .. }
            | LockTag::Tuple { db, .. }
            | LockTag::Object { db, .. }
            | LockTag::Advisory { db, .. } => Some(db),
            LockTag::TransactionId(_) => None,
        }
    }
}

/// How error messages name the object (PostgreSQL's `DescribeLockTag`), e.g.
/// `relation 16384 of database 5`, `transaction 1234`.
impl std::fmt::Display for LockTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            LockTag::Relation { db, rel } => write!(f, "relation {rel} of database {db}"),
            LockTag::RelationExtend { db, rel } => {
                write!(f, "extension of relation {rel} of database {db}")
            }
            LockTag::Page { db, rel, block } => {
                write!(f, "page {block} of relation {rel} of database {db}")
            }
            LockTag::Tuple {
                db,
                rel,
                block,
                offset,
            } => {
                write!(
                    f,
                    "tuple ({block},{offset}) of relation {rel} of database {db}"
                )
            }
            LockTag::TransactionId(xid) => write!(f, "transaction {xid}"),
            LockTag::Object {
                db,
                class_oid,
                obj_oid,
                ..
            } => {
                write!(f, "object {obj_oid} of class {class_oid} of database {db}")
            }
            LockTag::Advisory { db, key, int4_pair } => {
                write!(
                    f,
                    "advisory lock [{db},{},{},{}]",
                    key >> 32,
                    key as u32,
                    if int4_pair { 2 } else { 1 }
                )
            }
        }
    }
}
