//! `satisfies_hash_partition`: whether a row's key hashes to a hash
//! partition, with PostgreSQL's hash functions, so that rows land in the
//! same partitions as there (Bob Jenkins' lookup3 with a 64-bit seed, the
//! per-column hashes combined as `hash_combine64` does).

use types::{Datum, PgError, PgResult, SqlState};

/// PostgreSQL's seed for hash partitioning.
const PARTITION_SEED: u64 = 0x7A5B_2236_7996_DCFD;

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// The starting state for `len` bytes and a seed.
fn start(len: u32, seed: u64) -> (u32, u32, u32) {
    let v = 0x9e37_79b9u32.wrapping_add(len).wrapping_add(3_923_095);
    let (mut a, mut b, mut c) = (v, v, v);
    if seed != 0 {
        a = a.wrapping_add((seed >> 32) as u32);
        b = b.wrapping_add(seed as u32);
        mix(&mut a, &mut b, &mut c);
    }
    (a, b, c)
}

/// `hash_bytes_extended`: 64 bits of hash of a byte string.
pub fn hash_bytes(k: &[u8], seed: u64) -> u64 {
    let (mut a, mut b, mut c) = start(k.len() as u32, seed);
    let word = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    let mut rest = k;
    while rest.len() >= 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    // The tail: bytes 0-3 into a, 4-7 into b, 8-10 into c above its
    // lowest byte.
    for (i, &byte) in rest.iter().enumerate() {
        let v = u32::from(byte);
        match i {
            0..=3 => a = a.wrapping_add(v << (8 * i)),
            4..=7 => b = b.wrapping_add(v << (8 * (i - 4))),
            _ => c = c.wrapping_add(v << (8 * (i - 7))),
        }
    }
    finish(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

/// `hash_bytes_uint32_extended`.
pub fn hash_u32(k: u32, seed: u64) -> u64 {
    let (mut a, mut b, mut c) = start(4, seed);
    a = a.wrapping_add(k);
    finish(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

/// The extended hash of one value, as the type's hash opclass computes
/// it; None for a type without one here.
fn hash_value(d: &Datum, seed: u64) -> Option<u64> {
    Some(match d {
        Datum::Int2(v) => hash_u32(i32::from(*v) as u32, seed),
        Datum::Int4(v) | Datum::Date(v) => hash_u32(*v as u32, seed),
        Datum::Oid(v) => hash_u32(*v, seed),
        Datum::Bool(v) => hash_u32(u32::from(*v), seed),
        Datum::Int8(v) | Datum::Time(v) | Datum::Timestamp(v) | Datum::Timestamptz(v) => {
            let v = *v;
            let mut lo = v as u32;
            let hi = (v >> 32) as u32;
            lo ^= if v >= 0 { hi } else { !hi };
            hash_u32(lo, seed)
        }
        Datum::Text(s) => hash_bytes(s.as_bytes(), seed),
        Datum::Bytea(b) => hash_bytes(b, seed),
        Datum::Uuid(u) => hash_bytes(u, seed),
        _ => return None,
    })
}

fn combine(a: u64, b: u64) -> u64 {
    a ^ (b
        .wrapping_add(0x49a0_f4dd_15e5_a8e3)
        .wrapping_add(a << 54)
        .wrapping_add(a >> 7))
}

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    if func != "satisfies_hash_partition" {
        return Ok(None);
    }
    let (Some(Datum::Int4(modulus)), Some(Datum::Int4(remainder))) = (args.get(1), args.get(2))
    else {
        return Ok(Some(Datum::Bool(false)));
    };
    let invalid = |m: &str| Err(PgError::new(SqlState::InvalidParameterValue, m.to_owned()));
    if *modulus <= 0 {
        return invalid("modulus for hash partition must be an integer value greater than zero");
    }
    if *remainder < 0 {
        return invalid(
            "remainder for hash partition must be an integer value greater than or equal to zero",
        );
    }
    if remainder >= modulus {
        return invalid("remainder for hash partition must be less than modulus");
    }
    let mut row_hash = 0u64;
    for d in args.iter().skip(3).filter(|d| !d.is_null()) {
        let Some(h) = hash_value(d, PARTITION_SEED) else {
            return Err(PgError::feature_not_supported(
                "hash partitioning on a key of this type",
            ));
        };
        row_hash = combine(row_hash, h);
    }
    Ok(Some(Datum::Bool(
        row_hash % (*modulus as u64) == *remainder as u64,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_postgresql() {
        // SELECT hashint4extended(5, 0), hashint8extended(-7, 42),
        // hashtextextended('hello world!', 0), hashtextextended('', 7),
        // hashtextextended('abcdefghijklmnopq', 0) on PostgreSQL 15.
        assert_eq!(hash_u32(5, 0) as i64, -9138765687874534020);
        assert_eq!(
            hash_value(&Datum::Int8(-7), 42).map(|h| h as i64),
            Some(-7260134608902199406)
        );
        assert_eq!(hash_bytes(b"hello world!", 0) as i64, -2866487628948787489);
        assert_eq!(hash_bytes(b"", 7) as i64, 2755504096093790112);
        assert_eq!(
            hash_bytes(b"abcdefghijklmnopq", 0) as i64,
            981995727863167554
        );
    }
}
