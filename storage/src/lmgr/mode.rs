//! The eight table-level lock modes and their conflict table (PostgreSQL's
//! `lockdefs.h` numbering and the table of the manual's "Explicit Locking"
//! chapter).

/// A heavyweight lock mode. The discriminants are PostgreSQL's `LOCKMODE`
/// numbers (1..=8); a set of modes is a `u32` bit mask with bit `mode as u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum LockMode {
    AccessShare = 1,
    RowShare = 2,
    RowExclusive = 3,
    ShareUpdateExclusive = 4,
    Share = 5,
    ShareRowExclusive = 6,
    Exclusive = 7,
    AccessExclusive = 8,
}

/// Mask of the modes that conflict with each mode, indexed by mode number
/// (index 0 unused).
const CONFLICTS: [u32; 9] = {
    const fn m(modes: &[u8]) -> u32 {
        let mut mask = 0;
        let mut i = 0;
        while i < modes.len() {
            mask |= 1 << modes[i];
            i += 1;
        }
        mask
    }
    [
        0,
        m(&[8]),
        m(&[7, 8]),
        m(&[5, 6, 7, 8]),
        m(&[4, 5, 6, 7, 8]),
        m(&[3, 4, 6, 7, 8]),
        m(&[3, 4, 5, 6, 7, 8]),
        m(&[2, 3, 4, 5, 6, 7, 8]),
        m(&[1, 2, 3, 4, 5, 6, 7, 8]),
    ]
};

impl LockMode {
    /// Every mode, weakest first.
    pub const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// The mode with PostgreSQL's number `n` (1..=8).
    pub fn from_number(n: u32) -> Option<LockMode> {
        LockMode::ALL.get((n as usize).checked_sub(1)?).copied()
    }

    /// PostgreSQL's `LOCKMODE` number.
    pub fn number(self) -> u32 {
        self as u32
    }

    /// This mode's bit in a mode mask.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The mask of modes that conflict with this one.
    pub fn conflict_mask(self) -> u32 {
        CONFLICTS[self as usize]
    }

    /// Whether a holder of `self` blocks a request for `other` (the table is
    /// symmetric).
    pub fn conflicts_with(self, other: LockMode) -> bool {
        self.conflict_mask() & other.bit() != 0
    }

    /// The name `pg_locks.mode` shows and error messages use.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// The mode for a `pg_locks` name (also accepts the name without `Lock`).
    pub fn from_name(name: &str) -> Option<LockMode> {
        LockMode::ALL
            .into_iter()
            .find(|m| m.name() == name || m.name().strip_suffix("Lock") == Some(name))
    }

    /// The modes in a mask, weakest first.
    pub fn in_mask(mask: u32) -> impl Iterator<Item = LockMode> {
        LockMode::ALL
            .into_iter()
            .filter(move |m| mask & m.bit() != 0)
    }
}

impl std::fmt::Display for LockMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
