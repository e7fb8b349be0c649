//! A hash map for small keys that no client chooses the distribution of
//! (setting names, catalog OIDs, cached query texts of one session):
//! FNV-1a, cheaper than the standard library's DoS-resistant SipHash on the
//! per-statement lookups.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A `HashMap` hashed with [`Fnv`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_alike_and_the_map_works() {
        let mut m: FastMap<String, u32> = FastMap::default();
        m.insert("search_path".into(), 1);
        m.insert("statement_timeout".into(), 2);
        assert_eq!(m.get("search_path"), Some(&1));
        assert_eq!(m.get("statement_timeout"), Some(&2));
        assert_eq!(m.get("nope"), None);
        let h = |s: &str| {
            let mut f = Fnv::default();
            f.write(s.as_bytes());
            f.finish()
        };
        assert_eq!(h("a"), h("a"));
        assert_ne!(h("a"), h("b"));
    }
}
