//! Page deltas: the byte ranges in which a page changed.
//!
//! Every page change is logged as the ranges that differ between the page
//! before and after it (PostgreSQL's `generic_xlog.c` logs index pages this
//! way; we log every page this way, see `wal/README.md`). A full-page image is
//! the delta of the page against an all-zero page, so the free-space hole in
//! the middle of a page costs nothing, as PostgreSQL's "hole" elision.
//!
//! Encoding: a sequence of fragments, applied in order, whose numbers are
//! LEB128 varints (an offset in a page takes two bytes, a short length one):
//! - literal: `[offset][length << 1][bytes]`;
//! - copy: `[offset][length << 1 | 1][source]`: the `length` bytes at
//!   `source` on the page (as it is when the fragment is applied) are copied
//!   to `offset`. An update that puts the new version of a row on the same
//!   page logs its data part as a copy of the old version's (PostgreSQL
//!   compresses such updates by common prefix and suffix).

/// Two differing ranges closer than this are logged as one fragment (a
/// fragment header costs three bytes or so).
const MERGE_GAP: usize = 4;

fn put_varint(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A varint from the front of `bytes`, and what follows it.
fn take_varint(bytes: &[u8]) -> Result<(usize, &[u8]), BadDelta> {
    let mut v = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(4) {
        v |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((v, &bytes[i + 1..]));
        }
    }
    Err(BadDelta)
}

/// A copy within the page: `len` bytes from `src` to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    pub dst: usize,
    pub src: usize,
    pub len: usize,
}

/// Appends to `out` the fragments that turn `before` into `after` (equal
/// lengths, at most 64 KiB).
pub fn compute(before: &[u8], after: &[u8], out: &mut Vec<u8>) {
    assert_eq!(
        before.len(),
        after.len(),
        "delta of pages of different sizes"
    );
    assert!(
        after.len() <= usize::from(u16::MAX) + 1,
        "page too large for a delta"
    );
    let n = after.len();
    let mut i = 0;
    let mut open: Option<(usize, usize)> = None;
    loop {
        i = first_difference(before, after, i);
        if i == n {
            break;
        }
        let start = i;
        i = changed_run_end(before, after, start);
        open = match open {
            Some((s, e)) if start - e <= MERGE_GAP => Some((s, i)),
            Some((s, e)) => {
                push_fragment(out, s, &after[s..e]);
                Some((start, i))
            }
            None => Some((start, i)),
        };
    }
    if let Some((s, e)) = open {
        push_fragment(out, s, &after[s..e]);
    }
}

/// Where the changed run of bytes starting at `start` (where `a` and `b`
/// differ) ends: word by word up to the next eight equal bytes in a row, so
/// a run keeps short equal gaps inside it (a fragment header would cost
/// about as much), and it ends just after its last differing byte.
fn changed_run_end(a: &[u8], b: &[u8], start: usize) -> usize {
    let n = a.len();
    let mut end = start + 1;
    let mut j = start;
    while j + 8 <= n {
        let x = word_at(a, j) ^ word_at(b, j);
        if x == 0 {
            return end;
        }
        // Little-endian: the highest set bit is in the last differing byte.
        end = j + 8 - (x.leading_zeros() / 8) as usize;
        j += 8;
    }
    for k in j..n {
        if a[k] != b[k] {
            end = k + 1;
        }
    }
    end
}

fn word_at(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(s[i..i + 8].try_into().expect("eight bytes"))
}

/// The first index from `i` at which `a` and `b` (equal lengths) differ,
/// or their length: eight bytes at a time, as most of a page is unchanged.
fn first_difference(a: &[u8], b: &[u8], mut i: usize) -> usize {
    let n = a.len();
    // Equal blocks are passed over by slice comparison, which the compiler
    // turns into a vectorized memcmp; the words find the byte in the block
    // that differs.
    const BLOCK: usize = 64;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i + 8 <= n {
        let x = word_at(a, i) ^ word_at(b, i);
        if x != 0 {
            // Little-endian: the lowest set bit is in the first differing byte.
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// As [`compute`], starting with `copy` (a source range of `before` whose
/// bytes reappear at the destination in `after`): the copy fragment, then
/// the literals that turn `before` with the copy applied into `after`. A
/// copy outside the page, or whose ranges overlap, is left out.
pub fn compute_with_copy(before: &[u8], after: &[u8], copy: Copy, out: &mut Vec<u8>) {
    let n = before.len();
    let fits = copy.len > 0
        && copy.src + copy.len <= n
        && copy.dst + copy.len <= n
        && (copy.src + copy.len <= copy.dst || copy.dst + copy.len <= copy.src);
    if !fits {
        compute(before, after, out);
        return;
    }
    let mut with_copy = before.to_vec();
    with_copy.copy_within(copy.src..copy.src + copy.len, copy.dst);
    put_varint(out, copy.dst);
    put_varint(out, copy.len << 1 | 1);
    put_varint(out, copy.src);
    compute(&with_copy, after, out);
}

/// The full-page image of `page` as a delta against zeros.
pub fn image(page: &[u8], out: &mut Vec<u8>) {
    static ZEROS: [u8; 1 << 16] = [0; 1 << 16];
    match ZEROS.get(..page.len()) {
        Some(zeros) => compute(zeros, page, out),
        None => compute(&vec![0u8; page.len()], page, out),
    }
}

fn push_fragment(out: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
    put_varint(out, offset);
    put_varint(out, bytes.len() << 1);
    out.extend_from_slice(bytes);
}

/// A delta that does not fit the page it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDelta;

/// Applies `delta` to `page`.
pub fn apply(page: &mut [u8], mut delta: &[u8]) -> Result<(), BadDelta> {
    while !delta.is_empty() {
        let (off, rest) = take_varint(delta)?;
        let (raw, rest) = take_varint(rest)?;
        let len = raw >> 1;
        if raw & 1 != 0 {
            let (src, rest) = take_varint(rest)?;
            if src + len > page.len() || off + len > page.len() {
                return Err(BadDelta);
            }
            page.copy_within(src..src + len, off);
            delta = rest;
            continue;
        }
        let bytes = rest.get(..len).ok_or(BadDelta)?;
        page.get_mut(off..off + len)
            .ok_or(BadDelta)?
            .copy_from_slice(bytes);
        delta = &rest[len..];
    }
    Ok(())
}

/// Number of fragments and of literal bytes (for waldump).
pub fn summary(mut delta: &[u8]) -> (usize, usize) {
    let (mut frags, mut bytes) = (0, 0);
    while let Ok((_, rest)) = take_varint(delta)
        && let Ok((raw, rest)) = take_varint(rest)
    {
        frags += 1;
        if raw & 1 != 0 {
            delta = take_varint(rest).map_or(&[][..], |(_, r)| r);
            continue;
        }
        bytes += raw >> 1;
        delta = rest.get(raw >> 1..).unwrap_or(&[]);
    }
    (frags, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(before: &[u8], after: &[u8]) -> usize {
        let mut d = Vec::new();
        compute(before, after, &mut d);
        let mut page = before.to_vec();
        apply(&mut page, &d).expect("apply");
        assert_eq!(page, after);
        d.len()
    }

    #[test]
    fn deltas_reproduce_the_page() {
        let before = vec![0u8; 8192];
        let mut after = before.clone();
        assert_eq!(roundtrip(&before, &after), 0);
        after[0] = 1;
        after[8191] = 2;
        after[100..140].fill(7);
        // Three separate ranges: headers (offset 0: 1 byte, 100: 1, 8191: 2;
        // each length 1) + 42 bytes.
        assert_eq!(roundtrip(&before, &after), (1 + 1) + (1 + 1) + (2 + 1) + 42);
        // Nearby changes merge into one fragment.
        let mut near = before.clone();
        near[10] = 1;
        near[13] = 1;
        assert_eq!(roundtrip(&before, &near), 2 + 4);
        let full: Vec<u8> = (0..8192).map(|i| (i % 251) as u8 + 1).collect();
        roundtrip(&before, &full);
        roundtrip(&full, &before);
    }

    #[test]
    fn a_change_at_any_offset_is_found() {
        // Block- and word-at-a-time comparison: every position within and
        // across words, both sides of every block boundary, and a tail
        // shorter than a word.
        for len in [37usize, 64, 8192] {
            let before: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            for at in (0..len).filter(|i| *i < 70 || *i + 70 > len || !(2..62).contains(&(i % 64)))
            {
                let mut after = before.clone();
                after[at] ^= 0x40;
                let mut d = Vec::new();
                compute(&before, &after, &mut d);
                assert_eq!(summary(&d), (1, 1), "one byte changed at {at} of {len}");
                let mut page = before.clone();
                apply(&mut page, &d).expect("apply");
                assert_eq!(page, after);
            }
        }
    }

    #[test]
    fn an_image_skips_the_hole() {
        let mut page = vec![0u8; 8192];
        page[..24].fill(9);
        page[8000..].fill(3);
        let mut d = Vec::new();
        image(&page, &mut d);
        // Offset 0 (1 byte) and 8000 (2), lengths 24 (1) and 192 (2).
        assert_eq!(d.len(), (1 + 1) + (2 + 2) + 24 + 192);
        let mut restored = vec![0u8; 8192];
        apply(&mut restored, &d).expect("apply");
        assert_eq!(restored, page);
    }

    #[test]
    fn a_copy_carries_a_moved_row_and_literals_fix_what_differs() {
        let mut before = vec![0u8; 8192];
        let row: Vec<u8> = (0..120).map(|i| i as u8 + 1).collect();
        before[7000..7120].copy_from_slice(&row);
        let mut after = before.clone();
        after[6800..6920].copy_from_slice(&row);
        after[6810] = 0xEE; // the changed column
        after[7000] = 0x55; // the old version's header
        let mut d = Vec::new();
        compute_with_copy(
            &before,
            &after,
            Copy {
                dst: 6800,
                src: 7000,
                len: 120,
            },
            &mut d,
        );
        assert!(
            d.len() <= 6 + 2 * 4 + 2,
            "copy plus two one-byte literals: {} bytes",
            d.len()
        );
        let mut page = before.clone();
        apply(&mut page, &d).expect("apply");
        assert_eq!(page, after);
        assert_eq!(summary(&d), (3, 2));
        // A copy that does not fit is left out, and the delta is still right.
        let mut d = Vec::new();
        compute_with_copy(
            &before,
            &after,
            Copy {
                dst: 8100,
                src: 7000,
                len: 120,
            },
            &mut d,
        );
        let mut page = before.clone();
        apply(&mut page, &d).expect("apply");
        assert_eq!(page, after);
    }

    #[test]
    fn bad_deltas_are_refused() {
        let mut page = vec![0u8; 16];
        // A fragment header cut short.
        assert_eq!(apply(&mut page, &[1]), Err(BadDelta));
        assert_eq!(apply(&mut page, &[0x80]), Err(BadDelta));
        // Fewer bytes than the length says.
        assert_eq!(apply(&mut page, &[10, 10 << 1, 1, 2]), Err(BadDelta));
        // Past the end of the page.
        assert_eq!(apply(&mut page, &[14, 4 << 1, 1, 2, 3, 4]), Err(BadDelta));
        // A copy from or to outside the page.
        assert_eq!(apply(&mut page, &[0, 4 << 1 | 1, 14]), Err(BadDelta));
        assert_eq!(apply(&mut page, &[14, 4 << 1 | 1, 0]), Err(BadDelta));
    }
}
