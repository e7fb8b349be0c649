//! Lightweight locks (LWLocks): shared/exclusive locks that live in shared memory
//! and are held for short, bounded stretches (a buffer's contents while a tuple is
//! read, a mapping-table partition while an entry is looked up).
//!
//! An [`LWLock`] is one `AtomicU32` in the segment. Every process maps the segment
//! at its own address, so the lock must not depend on anything process-private:
//! `std::sync` and `parking_lot` queue their waiters in process memory and are
//! useless here. A waiter sleeps with `FUTEX_WAIT` on the lock word itself,
//! *without* `FUTEX_PRIVATE_FLAG`: the kernel then keys the wait queue by the
//! physical page, so a `FUTEX_WAKE` from any process mapping the segment finds it.
//!
//! ```text
//!  31        30          29..24     23 ................ 0
//! +---------+-----------+----------+---------------------+
//! | waiters | exclusive | (unused) | shared holder count |
//! +---------+-----------+----------+---------------------+
//! ```
//!
//! Acquire is one compare-and-swap when the lock is free (shared: count + 1 if no
//! exclusive holder; exclusive: the whole word must be 0 apart from the waiters
//! bit). A process that cannot get the lock spins briefly, then sets `waiters`
//! with a compare-and-swap against the value it saw (so the lock was held at that
//! instant) and sleeps on the word with that value as the expected one:
//!
//! ```text
//! waiter                                 releaser
//! load: held                             fetch_sub -> word changes
//! CAS held -> held|waiters  ----.        if the lock became free and
//! FUTEX_WAIT(word, held|waiters) `-----> waiters was set:
//!   (EAGAIN if the word changed:            clear waiters, FUTEX_WAKE(all)
//!    no wake-up can be lost)
//! ```
//!
//! Any release after the waiter's CAS changes the word, so either the kernel sees
//! a different value and the wait returns at once, or the waiter is already on
//! the queue when the releaser (who sees `waiters`) wakes everyone. Woken waiters
//! compete again; a holder only wakes when the lock becomes completely free,
//! because nobody waits for a shared lock while only shared holders remain.
//!
//! How we differ from PostgreSQL's `lwlock.c`: PostgreSQL keeps an explicit
//! queue of PGPROCs and wakes them in order, with a "release ok" flag against
//! thundering herds. We wake all waiters and let them race; that is simpler, has
//! no per-process state, and is fair enough for locks held for microseconds. A
//! steady stream of shared lockers can delay an exclusive waiter; none of our
//! users hold shared locks long enough for that to matter.
//!
//! There is no unsafe code here: `rustix`'s futex calls take `&AtomicU32`.

use std::sync::atomic::{AtomicU32, Ordering};

use rustix::thread::futex;

const WAITERS: u32 = 1 << 31;
const EXCLUSIVE: u32 = 1 << 30;
const SHARED_MASK: u32 = (1 << 24) - 1;
/// Spins before sleeping on the futex.
const SPINS_BEFORE_SLEEP: u32 = 100;

/// Sleeps while `word` holds `expected` (returns at once if it does not), until a
/// [`futex_wake_all`] on the same word from any process. Spurious returns are
/// possible: callers re-check their condition in a loop.
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32) {
    // Flags::empty(): a shared (not process-private) futex, see the module doc.
    // EAGAIN (value changed) and EINTR (signal) both mean "look again".
    let _ = futex::wait(word, futex::Flags::empty(), expected, None);
}

/// As [`futex_wait`], giving up after `timeout`.
pub(crate) fn futex_wait_timeout(word: &AtomicU32, expected: u32, timeout: std::time::Duration) {
    let ts = futex::Timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    let _ = futex::wait(word, futex::Flags::empty(), expected, Some(&ts));
}

/// Wakes every process sleeping in [`futex_wait`] on `word`.
pub(crate) fn futex_wake_all(word: &AtomicU32) {
    let _ = futex::wake(word, futex::Flags::empty(), i32::MAX as u32);
}

/// The mode an [`LWLock`] is held in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LWLockMode {
    Shared,
    Exclusive,
}

/// A shared/exclusive lock in shared memory. All-zero is an unlocked lock, so a
/// freshly created (zero-filled) segment needs no initialisation.
#[repr(C)]
#[derive(Default)]
pub struct LWLock {
    state: AtomicU32,
}

/// An `LWLock` alone on its cache line, for arrays of hot locks (the buffer
/// mapping partitions) where neighbours would otherwise bounce one line.
#[repr(C, align(64))]
#[derive(Default)]
pub struct PaddedLWLock {
    pub lock: LWLock,
}

impl std::fmt::Debug for LWLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.load(Ordering::Relaxed);
        f.debug_struct("LWLock")
            .field("exclusive", &(s & EXCLUSIVE != 0))
            .field("shared", &(s & SHARED_MASK))
            .field("waiters", &(s & WAITERS != 0))
            .finish()
    }
}

impl LWLock {
    pub const fn new() -> LWLock {
        LWLock {
            state: AtomicU32::new(0),
        }
    }

    /// One attempt: the new word if `mode` can be granted on `s`.
    fn grant(s: u32, mode: LWLockMode) -> Option<u32> {
        match mode {
            LWLockMode::Exclusive => (s & !WAITERS == 0).then_some(s | EXCLUSIVE),
            LWLockMode::Shared => {
                // 2^24 - 1 concurrent sharers is far beyond any process count.
                (s & EXCLUSIVE == 0 && s & SHARED_MASK < SHARED_MASK).then_some(s + 1)
            }
        }
    }

    fn try_lock(&self, mode: LWLockMode) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let Some(new) = Self::grant(s, mode) else {
                return false;
            };
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// One step of waiting until `mode` could be granted: a spin at first,
    /// then a sleep on the futex until the lock word changes (a release
    /// wakes every sleeper). Returns whether it slept.
    fn wait_step(&self, mode: LWLockMode, spins: &mut u32) -> bool {
        if *spins < SPINS_BEFORE_SLEEP {
            *spins += 1;
            std::hint::spin_loop();
            return false;
        }
        let s = self.state.load(Ordering::Relaxed);
        if Self::grant(s, mode).is_some() {
            return false;
        }
        let sleeping_on = s | WAITERS;
        if s & WAITERS == 0
            && self
                .state
                .compare_exchange(s, sleeping_on, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        futex_wait(&self.state, sleeping_on);
        true
    }

    fn lock(&self, mode: LWLockMode) {
        let mut spins = 0;
        while !self.try_lock(mode) {
            self.wait_step(mode, &mut spins);
        }
    }

    fn unlock(&self, mode: LWLockMode) {
        let prev = match mode {
            LWLockMode::Exclusive => self.state.fetch_and(!EXCLUSIVE, Ordering::Release),
            LWLockMode::Shared => self.state.fetch_sub(1, Ordering::Release),
        };
        debug_assert!(match mode {
            LWLockMode::Exclusive => prev & EXCLUSIVE != 0,
            LWLockMode::Shared => prev & SHARED_MASK != 0,
        });
        let now = match mode {
            LWLockMode::Exclusive => prev & !EXCLUSIVE,
            LWLockMode::Shared => prev - 1,
        };
        if now == WAITERS {
            // Free, and someone sleeps: clear the flag (it is set again by anyone
            // who goes back to sleep) and wake them all to compete.
            self.state.fetch_and(!WAITERS, Ordering::Relaxed);
            futex_wake_all(&self.state);
        }
    }

    /// Waits for and takes the lock in shared mode.
    pub fn acquire_shared(&self) -> LWLockGuard<'_> {
        self.lock(LWLockMode::Shared);
        LWLockGuard {
            lock: self,
            mode: LWLockMode::Shared,
        }
    }

    /// Waits for and takes the lock in exclusive mode.
    pub fn acquire_exclusive(&self) -> LWLockGuard<'_> {
        self.lock(LWLockMode::Exclusive);
        LWLockGuard {
            lock: self,
            mode: LWLockMode::Exclusive,
        }
    }

    /// Waits for and takes the lock in `mode`.
    pub fn acquire(&self, mode: LWLockMode) -> LWLockGuard<'_> {
        self.lock(mode);
        LWLockGuard { lock: self, mode }
    }

    /// Takes the lock exclusively if it is free; otherwise waits until its
    /// holder releases it and returns `None` without taking it (PostgreSQL's
    /// `LWLockAcquireOrWait`). Group commit uses it: the committers queued
    /// behind a WAL flush are all woken by its release and find their
    /// records flushed, instead of taking the lock one after another. A
    /// `None` may be spurious; the caller re-checks its condition.
    pub fn acquire_or_wait(&self) -> Option<LWLockGuard<'_>> {
        let mut spins = 0;
        loop {
            if self.try_lock(LWLockMode::Exclusive) {
                return Some(LWLockGuard {
                    lock: self,
                    mode: LWLockMode::Exclusive,
                });
            }
            if self.wait_step(LWLockMode::Exclusive, &mut spins) {
                return None;
            }
        }
    }

    /// Waits, without taking the lock, until nobody holds it (or, spuriously,
    /// until its holder changed): what a process waiting for another's
    /// section to end does (the WAL flush waiting for an insertion).
    pub fn wait_while_held(&self) {
        let mut spins = 0;
        loop {
            if self.state.load(Ordering::Acquire) & (EXCLUSIVE | SHARED_MASK) == 0 {
                return;
            }
            if self.wait_step(LWLockMode::Exclusive, &mut spins) {
                return;
            }
        }
    }

    /// Takes the lock in `mode` if that is possible without waiting
    /// (PostgreSQL's `LWLockConditionalAcquire`).
    pub fn try_acquire(&self, mode: LWLockMode) -> Option<LWLockGuard<'_>> {
        // Not `then_some`: that would build (and drop, so release) a guard on failure.
        if self.try_lock(mode) {
            Some(LWLockGuard { lock: self, mode })
        } else {
            None
        }
    }

    /// Whether anybody holds the lock (for assertions and diagnostics only: the
    /// answer may be stale by the time it is read).
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & (EXCLUSIVE | SHARED_MASK) != 0
    }
}

/// A held [`LWLock`]; releases it when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LWLockGuard<'a> {
    lock: &'a LWLock,
    mode: LWLockMode,
}

impl LWLockGuard<'_> {
    pub fn mode(&self) -> LWLockMode {
        self.mode
    }

    /// Whether this guard holds `lock` (lets owners of a guard prove which lock
    /// it is for).
    pub fn holds(&self, lock: &LWLock) -> bool {
        std::ptr::eq(self.lock, lock)
    }
}

impl std::fmt::Debug for LWLockGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LWLockGuard")
            .field("mode", &self.mode)
            .finish()
    }
}

impl Drop for LWLockGuard<'_> {
    fn drop(&mut self) {
        self.lock.unlock(self.mode);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::UnsafeCell;
    use std::sync::atomic::AtomicU64;

    use super::*;

    #[test]
    fn shared_and_exclusive_exclude_each_other() {
        let l = LWLock::new();
        let s1 = l.acquire_shared();
        let s2 = l.try_acquire(LWLockMode::Shared).expect("sharers coexist");
        assert!(l.try_acquire(LWLockMode::Exclusive).is_none());
        drop(s1);
        assert!(l.try_acquire(LWLockMode::Exclusive).is_none());
        drop(s2);
        let x = l.try_acquire(LWLockMode::Exclusive).expect("free");
        assert!(l.try_acquire(LWLockMode::Shared).is_none());
        assert!(l.try_acquire(LWLockMode::Exclusive).is_none());
        assert!(x.holds(&l));
        drop(x);
        assert!(!l.is_locked());
    }

    #[test]
    fn acquire_or_wait_takes_a_free_lock_and_otherwise_waits_for_the_release() {
        let l = LWLock::new();
        let g = l.acquire_or_wait().expect("a free lock is taken");
        assert!(g.holds(&l) && l.is_locked());
        let released = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let got = l.acquire_or_wait();
                // It returned only after the holder let go, holding nothing
                // (or, had it only started after the release, the lock).
                assert!(
                    released.load(Ordering::SeqCst),
                    "returned while the lock was held"
                );
                got.is_some()
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            released.store(true, Ordering::SeqCst);
            drop(g);
            let took = waiter.join().expect("waiter");
            assert!(
                !l.is_locked(),
                "the waiter's guard, if any, is gone: took={took}"
            );
        });
    }

    /// A counter that is deliberately not atomic: lost updates show a broken lock.
    struct Racy(UnsafeCell<u64>);
    // SAFETY: every access in the test happens under the exclusive LWLock under test.
    unsafe impl Sync for Racy {}

    #[test]
    fn exclusive_lock_under_contention_between_threads() {
        const THREADS: u64 = 8;
        const ITERS: u64 = 20_000;
        let lock = LWLock::new();
        let counter = Racy(UnsafeCell::new(0));
        let readers_saw_torn = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (lock, counter, torn) = (&lock, &counter, &readers_saw_torn);
                s.spawn(move || {
                    for i in 0..ITERS {
                        if t % 4 == 3 && i % 8 == 0 {
                            let _g = lock.acquire_shared();
                            // SAFETY: shared holders only read; writers hold exclusive.
                            let v = unsafe { *counter.0.get() };
                            if v > THREADS * ITERS {
                                torn.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        let _g = lock.acquire_exclusive();
                        // SAFETY: we hold the exclusive lock; nobody else touches the cell.
                        unsafe { *counter.0.get() += 1 };
                        if i % 1000 == 0 {
                            std::thread::yield_now();
                        }
                    }
                });
            }
        });
        // SAFETY: all threads have been joined.
        assert_eq!(unsafe { *counter.0.get() }, THREADS * ITERS);
        assert_eq!(readers_saw_torn.load(Ordering::Relaxed), 0);
        assert!(!lock.is_locked());
        assert_eq!(
            lock.state.load(Ordering::Relaxed),
            0,
            "no waiters flag left behind"
        );
    }

    #[test]
    fn sleeping_waiter_is_woken() {
        let lock = LWLock::new();
        let g = lock.acquire_exclusive();
        std::thread::scope(|s| {
            let h = s.spawn(|| {
                let _g = lock.acquire_shared();
            });
            // Long enough for the waiter to give up spinning and sleep.
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert_ne!(
                lock.state.load(Ordering::Relaxed) & WAITERS,
                0,
                "waiter went to sleep"
            );
            drop(g);
            h.join().expect("waiter finished");
        });
        assert!(!lock.is_locked());
    }
}
