//! Buffer manager tests: golden scripts (`testscripts/*.txt`) for the pin/evict
//! state machine, and threads standing in for processes on one mapping for the
//! concurrent cases (plus real child processes for the content lock).
//!
//! Golden script format: `> command` lines; the lines after each command are
//! its output, regenerated on every run and compared with the file. Lines
//! starting with `#` and blank lines are kept. `UPDATE_GOLDEN=1 cargo test -p
//! storage` rewrites the files. Commands (an `x:` prefix runs one as backend x,
//! default `a`; backends `a`, `b`, `c` share one pool):
//!
//! ```text
//! pool N                          a new pool of N buffers (first command)
//! pin NAME REL BLOCK [zero]       read_buffer, keep the pin as NAME
//! clone NAME NEW                  a second pin on the same buffer
//! unpin NAME
//! write NAME TEXT                 exclusive lock, write TEXT, mark dirty
//! show NAME                       shared lock, print the text
//! cleanup NAME                    try the cleanup lock
//! scan REL FROM TO RING           BULKREAD scan with a ring of RING buffers (0: none)
//! touch REL BLOCK TIMES           pin and unpin TIMES times (usage count)
//! state                           every buffer: tag, pins, usage, flags
//! io                              store reads/writes since last `io`
//! flush_all | flush_rel REL | drop_rel REL [FROM]
//! fail_reads on|off | fail_writes on|off
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::*;
use crate::StorageError;
use crate::shmem::{SharedMemory, ShmemLayout};

fn rel(n: u32) -> RelFileLocator {
    RelFileLocator {
        spc_oid: 1663,
        db_oid: 5,
        rel_number: n,
    }
}

fn tag(r: u32, block: u32) -> BufferTag {
    BufferTag::new(rel(r), ForkNumber::Main, block)
}

fn new_pool(buffers: u32) -> SharedMemory {
    SharedMemory::create(ShmemLayout::new(1, buffers), std::process::id() as i32, 0)
        .expect("create segment")
}

/// Text stored in a page by the scripts: after the 8 LSN bytes, NUL-terminated.
const TEXT_AT: usize = 8;

fn page_text(page: &[u8; BLCKSZ]) -> String {
    let bytes = &page[TEXT_AT..];
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn short_tag(t: &BufferTag) -> String {
    match t.fork {
        ForkNumber::Main => format!("{}/{}", t.rel.rel_number, t.block),
        f => format!("{}/{}.{}", t.rel.rel_number, f.name(), t.block),
    }
}

const BACKENDS: [&str; 3] = ["a", "b", "c"];

fn run_script(text: &str) -> String {
    let mut out = String::new();
    // Commands and kept lines (comments, blank) in order; output lines are dropped.
    let mut commands = Vec::new();
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("> ") {
            commands.push(Some(cmd.to_owned()));
        } else if line.starts_with('#') || line.trim().is_empty() {
            commands.push(Some(format!("#RAW {line}")));
        }
    }
    let first = commands
        .iter()
        .flatten()
        .find(|c| !c.starts_with("#RAW"))
        .cloned()
        .unwrap_or_default();
    let n: u32 = first
        .strip_prefix("pool ")
        .and_then(|n| n.trim().parse().ok())
        .expect("script starts with `pool N`");
    let shm = new_pool(n);
    let store = Arc::new(MemBlockStore::new());
    let managers: Vec<BufferManager<'_>> = BACKENDS
        .iter()
        .map(|_| BufferManager::new(&shm, store.clone()).expect("manager"))
        .collect();
    let mut pins: HashMap<String, PinnedBuffer<'_>> = HashMap::new();
    for cmd in commands.into_iter().flatten() {
        if let Some(raw) = cmd.strip_prefix("#RAW ") {
            out.push_str(raw);
            out.push('\n');
            continue;
        }
        writeln!(out, "> {cmd}").ok();
        let (backend, rest) = match cmd.split_once(": ") {
            Some((b, r)) if BACKENDS.contains(&b) => {
                (BACKENDS.iter().position(|x| *x == b).unwrap_or(0), r)
            }
            _ => (0, cmd.as_str()),
        };
        let mgr = &managers[backend];
        let words: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| -> u32 { words.get(i).and_then(|w| w.parse().ok()).unwrap_or(0) };
        let result: Result<String, StorageError> = (|| {
            Ok(match words.first().copied().unwrap_or("") {
                "pool" => String::new(),
                "pin" => {
                    let mode = if words.get(4) == Some(&"zero") {
                        ReadMode::Zero
                    } else {
                        ReadMode::Normal
                    };
                    let p = mgr.read_buffer(tag(num(2), num(3)), mode, None)?;
                    let line = format!("buf {}\n", p.id());
                    pins.insert(words[1].to_owned(), p);
                    line
                }
                "clone" => {
                    let p = pins.get(words[1]).cloned().expect("known pin");
                    pins.insert(words[2].to_owned(), p);
                    String::new()
                }
                "unpin" => {
                    pins.remove(words[1]).expect("known pin");
                    String::new()
                }
                "write" => {
                    let p = pins.get(words[1]).expect("known pin");
                    let mut g = p.lock_exclusive();
                    let text = words[2..].join(" ");
                    g[TEXT_AT..].fill(0);
                    g[TEXT_AT..TEXT_AT + text.len()].copy_from_slice(text.as_bytes());
                    g.mark_dirty();
                    String::new()
                }
                "show" => format!(
                    "{:?}\n",
                    page_text(&pins.get(words[1]).expect("known pin").lock_shared())
                ),
                "cleanup" => {
                    let p = pins.get(words[1]).expect("known pin");
                    match p.try_lock_for_cleanup() {
                        Some(_) => "acquired\n".to_owned(),
                        None => "busy\n".to_owned(),
                    }
                }
                "scan" if num(4) == 0 => {
                    for b in num(2)..num(3) {
                        drop(mgr.read_buffer(tag(num(1), b), ReadMode::Normal, None)?);
                    }
                    format!("scanned {} blocks without a ring\n", num(3) - num(2))
                }
                "scan" => {
                    let mut ring = BufferAccessStrategy::with_ring_size(
                        StrategyKind::BulkRead,
                        num(4) as usize,
                    );
                    for b in num(2)..num(3) {
                        drop(mgr.read_buffer(tag(num(1), b), ReadMode::Normal, Some(&mut ring))?);
                    }
                    let ids: Vec<String> = ring.buffers().map(|b| b.to_string()).collect();
                    format!("ring buffers: {}\n", ids.join(" "))
                }
                "touch" => {
                    for _ in 0..num(3) {
                        drop(mgr.read_buffer(tag(num(1), num(2)), ReadMode::Normal, None)?);
                    }
                    String::new()
                }
                "state" => {
                    let mut s = String::new();
                    let snaps: Vec<Vec<BufferSnapshot>> =
                        managers.iter().map(|m| m.snapshot()).collect();
                    for (i, b) in snaps[0].iter().enumerate() {
                        let Some(t) = b.tag else {
                            writeln!(s, "buf {i}: empty").ok();
                            continue;
                        };
                        let private: Vec<String> = BACKENDS
                            .iter()
                            .zip(&snaps)
                            .filter(|(_, sn)| sn[i].private_pins > 0)
                            .map(|(name, sn)| format!("{name}={}", sn[i].private_pins))
                            .collect();
                        writeln!(
                            s,
                            "buf {i}: {} refs={} usage={} {}{}",
                            short_tag(&t),
                            b.refcount,
                            b.usage_count,
                            b.flag_names(),
                            if private.is_empty() {
                                String::new()
                            } else {
                                format!(" pins: {}", private.join(" "))
                            }
                        )
                        .ok();
                    }
                    s
                }
                "io" => store.take_log().iter().map(|l| format!("{l}\n")).collect(),
                "flush_all" => format!("wrote {}\n", mgr.flush_all()?),
                "flush_rel" => format!("wrote {}\n", mgr.flush_relation(rel(num(1)))?),
                "drop_rel" => format!(
                    "dropped {}\n",
                    mgr.drop_relation_buffers(rel(num(1)), None, num(2))?
                ),
                "fail_reads" => {
                    store.set_fail_reads(words.get(1) == Some(&"on"));
                    String::new()
                }
                "fail_writes" => {
                    store.set_fail_writes(words.get(1) == Some(&"on"));
                    String::new()
                }
                other => format!("unknown command {other:?}\n"),
            })
        })();
        match result {
            Ok(s) => out.push_str(&s),
            Err(e) => writeln!(out, "error: {e} (SQLSTATE {:?})", e.sqlstate()).unwrap_or(()),
        }
    }
    drop(pins);
    out
}

#[test]
fn golden_scripts() {
    crate::golden::check_scripts("buffer", run_script);
}

#[test]
fn concurrent_readers_of_one_missing_page_do_one_read() {
    let shm = new_pool(8);
    let store = Arc::new(MemBlockStore::new());
    let mut block = [0u8; BLCKSZ];
    block[TEXT_AT..TEXT_AT + 5].copy_from_slice(b"hello");
    store.put(tag(1, 7), &block);
    store.set_read_delay(Duration::from_millis(100));
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let mgr = BufferManager::new(&shm, store.clone()).expect("manager");
                barrier.wait();
                let p = mgr
                    .read_buffer(tag(1, 7), ReadMode::Normal, None)
                    .expect("read");
                assert_eq!(page_text(&p.lock_shared()), "hello");
            });
        }
    });
    assert_eq!(
        store.reads(),
        1,
        "exactly one backend read the block; the others waited for it"
    );
}

#[test]
fn cleanup_lock_waits_for_other_pins() {
    let shm = new_pool(4);
    let store = Arc::new(MemBlockStore::new());
    let holder_pinned = Barrier::new(2);
    let released = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mgr = BufferManager::new(&shm, store.clone()).expect("manager");
            let p = mgr
                .read_buffer(tag(1, 0), ReadMode::Normal, None)
                .expect("read");
            holder_pinned.wait();
            std::thread::sleep(Duration::from_millis(100));
            released.store(1, Ordering::SeqCst);
            drop(p);
        });
        let mgr = BufferManager::new(&shm, store.clone()).expect("manager");
        holder_pinned.wait();
        let p = mgr
            .read_buffer(tag(1, 0), ReadMode::Normal, None)
            .expect("read");
        assert!(
            p.try_lock_for_cleanup().is_none(),
            "another backend still pins it"
        );
        let extra = p.clone();
        assert!(
            p.lock_for_cleanup().is_err(),
            "our own second pin makes cleanup impossible"
        );
        drop(extra);
        let mut g = p.lock_for_cleanup().expect("cleanup lock");
        assert_eq!(
            released.load(Ordering::SeqCst),
            1,
            "granted only after the other pin went"
        );
        g[0] = 1;
        g.mark_dirty();
    });
}

/// A tiny xorshift: deterministic per thread, no dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn stress_threads_as_backends_keep_every_increment() {
    const THREADS: usize = 4;
    const OPS: usize = 3000;
    const BLOCKS: u32 = 40;
    let shm = new_pool(16);
    let store = Arc::new(MemBlockStore::new());
    let expected: Vec<AtomicU64> = (0..BLOCKS).map(|_| AtomicU64::new(0)).collect();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (shm, store, expected) = (&shm, store.clone(), &expected);
            s.spawn(move || {
                let mgr = BufferManager::new(shm, store).expect("manager");
                let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t as u64 + 1);
                let mut ring = BufferAccessStrategy::with_ring_size(StrategyKind::BulkRead, 2);
                for i in 0..OPS {
                    let r = next_random(&mut rng);
                    let block = (r % u64::from(BLOCKS)) as u32;
                    let strategy = if r.is_multiple_of(7) {
                        Some(&mut ring)
                    } else {
                        None
                    };
                    let p = match mgr.read_buffer(tag(1, block), ReadMode::Normal, strategy) {
                        Ok(p) => p,
                        Err(e) => panic!("read failed: {e}"),
                    };
                    if r.is_multiple_of(5) {
                        let g = p.lock_shared();
                        let _ = u64::from_le_bytes(
                            g[TEXT_AT..TEXT_AT + 8].try_into().unwrap_or([0; 8]),
                        );
                    } else {
                        let mut g = if r.is_multiple_of(11) {
                            match p.try_lock_for_cleanup() {
                                Some(g) => g,
                                None => p.lock_exclusive(),
                            }
                        } else {
                            p.lock_exclusive()
                        };
                        let v = u64::from_le_bytes(
                            g[TEXT_AT..TEXT_AT + 8].try_into().unwrap_or([0; 8]),
                        );
                        g[TEXT_AT..TEXT_AT + 8].copy_from_slice(&(v + 1).to_le_bytes());
                        g.mark_dirty();
                        expected[block as usize].fetch_add(1, Ordering::Relaxed);
                    }
                    if i % 500 == 0 {
                        drop(p);
                        mgr.flush_relation(rel(1)).expect("flush");
                    }
                }
                assert_eq!(mgr.pinned_buffers(), 0);
            });
        }
    });
    let mgr = BufferManager::new(&shm, store.clone()).expect("manager");
    mgr.flush_all().expect("flush");
    for snap in mgr.snapshot() {
        assert_eq!(snap.refcount, 0, "buffer {} left pinned", snap.id);
        assert_eq!(snap.flags & crate::shmem::buf_state::DIRTY, 0);
    }
    for b in 0..BLOCKS {
        let got = store
            .block(&tag(1, b))
            .map(|p| u64::from_le_bytes(p[TEXT_AT..TEXT_AT + 8].try_into().unwrap_or([0; 8])));
        assert_eq!(
            got.unwrap_or(0),
            expected[b as usize].load(Ordering::Relaxed),
            "block {b}"
        );
    }
}

const CHILD_ENV: &str = "OXIPG_TEST_CONTENT_LOCK_SHMEM";
const CHILD_INCREMENTS: u64 = 20_000;

fn increment_page_counter(shm: &SharedMemory, times: u64) {
    let pool = shm.buffer_pool();
    for _ in 0..times {
        let mut page = pool.lock_page_exclusive(0);
        let v = u64::from_le_bytes(page[..8].try_into().unwrap_or([0; 8]));
        page[..8].copy_from_slice(&(v + 1).to_le_bytes());
    }
}

/// Entry point for the child processes of the test below; does nothing when
/// run as an ordinary test.
#[test]
fn content_lock_child_process_entry() {
    let Ok(id) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut shm = SharedMemory::attach(&id).expect("child attaches");
    shm.disown();
    increment_page_counter(&shm, CHILD_INCREMENTS);
}

#[test]
fn content_lock_excludes_across_processes() {
    let shm = new_pool(1);
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "buffer::tests::content_lock_child_process_entry",
                    "--exact",
                    "--test-threads=1",
                    "--quiet",
                ])
                .env(CHILD_ENV, shm.os_id())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    increment_page_counter(&shm, CHILD_INCREMENTS);
    for mut c in children {
        assert!(c.wait().expect("wait child").success(), "child failed");
    }
    let page = shm.buffer_pool().lock_page_shared(0);
    assert_eq!(
        u64::from_le_bytes(page[..8].try_into().unwrap_or([0; 8])),
        3 * CHILD_INCREMENTS
    );
}

#[test]
fn bgwriter_writes_the_dirty_victims_ahead_of_the_clock() {
    let shm = new_pool(8);
    let store = Arc::new(MemBlockStore::new());
    let mgr = BufferManager::new(&shm, store.clone()).expect("manager");
    // Eight dirty, unpinned pages with usage count 1.
    for b in 0..8 {
        let buf = mgr
            .read_buffer(tag(1, b), ReadMode::Zero, None)
            .expect("read");
        buf.lock_exclusive().mark_dirty();
    }
    assert_eq!(
        mgr.bgwriter_pass(8, 100).expect("pass"),
        0,
        "recently used pages are not written ahead"
    );
    // A ninth page: the sweep brings every usage count to 0 and evicts one
    // victim (the backend writes that one itself).
    drop(
        mgr.read_buffer(tag(1, 8), ReadMode::Zero, None)
            .expect("read"),
    );
    let before = store.writes();
    assert_eq!(before, 1);
    // The background writer now cleans the other dirty victims-to-be, but
    // no more than it is allowed per round.
    assert_eq!(mgr.bgwriter_pass(8, 3).expect("pass"), 3);
    assert_eq!(store.writes(), before + 3);
    let written = mgr.bgwriter_pass(8, 100).expect("pass");
    assert!(written >= 3, "wrote {written}");
    // A pinned buffer is never written behind its owner's back.
    let pinned = mgr
        .read_buffer(tag(2, 0), ReadMode::Zero, None)
        .expect("read");
    pinned.lock_exclusive().mark_dirty();
    assert_eq!(mgr.bgwriter_pass(8, 100).expect("pass"), 0);
}
