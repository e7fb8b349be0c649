//! B-tree golden scripts (`testscripts/*.txt`): the tree's shape after
//! splits at each level, page deletion and reuse, printed page by page and
//! compared with the file. Format as the heap's and the lock manager's
//! scripts: `> command` lines, each followed by its output (regenerated on
//! every run); `#` lines and blank lines are kept. `UPDATE_GOLDEN=1 cargo
//! test -p storage nbtree` rewrites the files.
//!
//! ```text
//! insert A..B [step S] [desc]  keys A, A+S, ... below B (or from B-S down to A)
//! insert K [K ...]             these keys
//! delete A..B                  VACUUM's bulk delete of the entries with keys in [A, B)
//! xact                         a transaction begins and ends (deleted pages
//!                              become reusable once one has)
//! dump                         the metapage, then every level from the root
//!                              down, each page left to right
//! check                        bt_index_check's structure check
//! scan A..B                    the keys a forward scan of [A, B) returns
//! ```
//!
//! Keys are integers, stored as text of five digits and 300 padding bytes
//! so that a leaf holds 25 entries and the tree grows levels within a few
//! hundred inserts; key k's heap tid is (k / 100, k % 100 + 1) plus 1000
//! blocks per re-insertion of the same key.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use types::{Datum, PgResult, oid};

use super::insert::{build_empty, insert, read};
use super::itup::IndexTuple;
use super::maint::{bulk_delete, check};
use super::page::{META_BLOCK, P_NONE, first_key, item, max_offset, opaque, read_meta};
use super::scan::{Bound, IndexScan};
use super::{ColumnOrder, IndexDesc};
use crate::buffer::BufferManager;
use crate::heap::heapam::{HeapEnv, NoExtensionLock};
use crate::heap::tuple::Attribute;
use crate::page::ItemPointer;
use crate::shmem::{SharedMemory, ShmemLayout};
use crate::smgr::{ForkNumber, RelFileLocator, Smgr};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::Transam;

fn rel() -> RelFileLocator {
    RelFileLocator::new(5, 16500)
}

fn desc() -> IndexDesc {
    IndexDesc::new(
        "golden_idx",
        vec![Attribute::new("k", oid::TEXT, -1).expect("att")],
        1,
        vec![ColumnOrder::default()],
        false,
    )
}

fn key(k: u32) -> Datum {
    Datum::Text(format!("{k:05}{}", "-".repeat(300)))
}

/// The integer a stored key stands for.
fn key_of(values: &[Datum]) -> String {
    match values.first() {
        Some(Datum::Text(t)) => t
            .get(..5)
            .and_then(|d| d.parse::<u32>().ok())
            .map_or_else(|| t.clone(), |k| k.to_string()),
        Some(other) => format!("{other:?}"),
        None => "-inf".into(),
    }
}

fn range(arg: &str) -> Option<(u32, u32)> {
    let (a, b) = arg.split_once("..")?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn dump(env: &HeapEnv<'_, '_>, desc: &IndexDesc) -> PgResult<String> {
    let mut out = String::new();
    let meta = {
        let buf = read(env, rel(), META_BLOCK)?;
        let page = buf.lock_shared();
        read_meta(&page)?
    };
    let nblocks = env.store.smgr().nblocks(rel(), ForkNumber::Main)?;
    writeln!(
        out,
        "{nblocks} blocks, root {} at level {}",
        meta.root, meta.level
    )
    .ok();
    let mut level_start = meta.root;
    loop {
        let mut block = level_start;
        let mut next_level = None;
        while block != P_NONE {
            let buf = read(env, rel(), block)?;
            let page = buf.lock_shared();
            let o = opaque(&page)?;
            let high = if o.is_rightmost() {
                "+inf".to_owned()
            } else {
                key_of(&IndexTuple::parse(item(&page, 1)?)?.keys(desc)?)
            };
            let mut keys = Vec::new();
            for off in first_key(&o)..=max_offset(&page) {
                let t = IndexTuple::parse(item(&page, off)?)?;
                let k = key_of(&t.keys(desc)?);
                if o.is_leaf() {
                    keys.push(k);
                } else {
                    keys.push(format!("{k}->{}", t.downlink()));
                    next_level.get_or_insert(t.downlink());
                }
            }
            let shown = if o.is_leaf() && keys.len() > 4 {
                format!(
                    "{} .. {} ({} entries)",
                    keys[..2].join(" "),
                    keys[keys.len() - 2..].join(" "),
                    keys.len()
                )
            } else {
                format!("{} ({} entries)", keys.join(" "), keys.len())
            };
            writeln!(
                out,
                "  L{} block {block}: prev {} next {} high {high}{}: {shown}",
                o.level,
                o.prev,
                o.next,
                if o.is_root() { " root" } else { "" }
            )
            .ok();
            block = o.next;
        }
        match next_level {
            Some(b) => level_start = b,
            None => break,
        }
    }
    let mut deleted = Vec::new();
    for b in 1..nblocks {
        let buf = read(env, rel(), b)?;
        let page = buf.lock_shared();
        if opaque(&page)?.is_deleted() {
            deleted.push(b.to_string());
        }
    }
    if !deleted.is_empty() {
        writeln!(out, "  deleted: {}", deleted.join(" ")).ok();
    }
    Ok(out)
}

fn run_script(script: &str, dir: &Path) -> String {
    Transam::bootstrap(dir).expect("bootstrap");
    let shm = SharedMemory::create(ShmemLayout::new(4, 128), std::process::id() as i32, 0)
        .expect("segment");
    Transam::new(&shm, dir, 3).startup().expect("startup");
    let store = std::sync::Arc::new(SmgrBlockStore::new(Smgr::new(dir)));
    store
        .smgr()
        .create(rel(), ForkNumber::Main, false)
        .expect("create relation");
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let tx = Transam::new(&shm, dir, 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &tx,
        extension_lock: &NoExtensionLock,
    };
    let desc = desc();
    build_empty(&env, rel()).expect("empty index");
    // Times each key was inserted, for distinct heap tids.
    let mut inserted: HashMap<u32, u32> = HashMap::new();
    let mut out = String::new();
    for line in script.lines() {
        if !line.starts_with("> ") {
            if line.starts_with('#') || line.trim().is_empty() {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
        let words: Vec<&str> = line[2..].split_whitespace().collect();
        let result = (|| -> PgResult<String> {
            let mut o = String::new();
            match words.as_slice() {
                ["insert", r, rest @ ..] if r.contains("..") => {
                    let (a, b) = range(r).ok_or_else(|| types::PgError::internal("bad range"))?;
                    let step = match rest {
                        ["step", s, ..] => s.parse().unwrap_or(1),
                        _ => 1,
                    };
                    let mut keys: Vec<u32> = (a..b).step_by(step).collect();
                    if rest.contains(&"desc") {
                        keys.reverse();
                    }
                    for k in keys {
                        let n = inserted.entry(k).or_insert(0);
                        let tid = ItemPointer::new(k / 100 + 1000 * *n, (k % 100 + 1) as u16);
                        *n += 1;
                        insert(&env, rel(), &desc, &[key(k)], tid, None)?;
                    }
                }
                ["insert", keys @ ..] => {
                    for k in keys {
                        let k: u32 = k.parse().map_err(|_| types::PgError::internal("bad key"))?;
                        let n = inserted.entry(k).or_insert(0);
                        let tid = ItemPointer::new(k / 100 + 1000 * *n, (k % 100 + 1) as u16);
                        *n += 1;
                        insert(&env, rel(), &desc, &[key(k)], tid, None)?;
                    }
                }
                ["delete", r] => {
                    let (a, b) = range(r).ok_or_else(|| types::PgError::internal("bad range"))?;
                    let dead = |t: ItemPointer| {
                        let k = (t.block % 1000) * 100 + u32::from(t.offset) - 1;
                        (a..b).contains(&k)
                    };
                    let stats = bulk_delete(&env, rel(), &desc, &dead, &mut || Ok(()))?;
                    writeln!(
                        o,
                        "removed {} entries, deleted {} pages",
                        stats.removed, stats.pages_deleted
                    )
                    .ok();
                }
                ["xact"] => {
                    let xid = env.tx.assign_xid()?;
                    env.tx.commit(xid, false, false)?;
                }
                ["dump"] => o.push_str(&dump(&env, &desc)?),
                ["check"] => {
                    let r = check(&env, rel(), &desc, &mut |_, _| Ok(()))?;
                    writeln!(
                        o,
                        "ok: {} levels, {} pages, {} entries",
                        r.levels, r.pages, r.entries
                    )
                    .ok();
                }
                ["scan", r] => {
                    let (a, b) = range(r).ok_or_else(|| types::PgError::internal("bad range"))?;
                    let mut scan = IndexScan::begin(
                        rel(),
                        Some(Bound {
                            values: vec![key(a)],
                            inclusive: true,
                        }),
                        Some(Bound {
                            values: vec![key(b)],
                            inclusive: false,
                        }),
                    );
                    let mut keys = Vec::new();
                    while let Some((_, bytes)) = scan.next(&env, &desc)? {
                        keys.push(key_of(&IndexTuple::parse(&bytes)?.values(&desc)?));
                    }
                    writeln!(o, "{}", keys.join(" ")).ok();
                }
                other => {
                    return Err(types::PgError::internal(format!(
                        "unknown command {other:?}"
                    )));
                }
            }
            Ok(o)
        })();
        match result {
            Ok(o) => out.push_str(&o),
            Err(e) => {
                writeln!(out, "ERROR {}: {}", e.code.code(), e.message).ok();
            }
        }
    }
    out
}

#[test]
fn golden_scripts() {
    crate::golden::check_scripts("nbtree", |text| {
        let dir = tempfile::tempdir().expect("tempdir");
        run_script(text, dir.path())
    });
}
