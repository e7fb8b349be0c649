//! Page deltas: the byte ranges in which a page changed.
//!
//! Every page change is logged as the ranges that differ between the page
//! before and after it (PostgreSQL's `generic_xlog.c` logs index pages this
//! way; we log every page this way, see `wal/README.md`). A full-page image is
//! the delta of the page against an all-zero page, so the free-space hole in
//! the middle of a page costs nothing, as PostgreSQL's "hole" elision.
//!
//! Encoding: a sequence of fragments `[offset u16 LE][length u16 LE][bytes]`.

/// Two differing ranges closer than this are logged as one fragment (a
/// fragment header costs 4 bytes).
const MERGE_GAP: usize = 8;

/// Appends to `out` the fragments that turn `before` into `after` (equal
/// lengths, at most 64 KiB).
pub fn compute(before: &[u8], after: &[u8], out: &mut Vec<u8>) {
    assert_eq!(before.len(), after.len(), "delta of pages of different sizes");
    assert!(after.len() <= usize::from(u16::MAX) + 1, "page too large for a delta");
    let n = after.len();
    let mut i = 0;
    let mut open: Option<(usize, usize)> = None;
    while i < n {
        // Skip equal 8-byte words quickly.
        if i + 8 <= n && before[i..i + 8] == after[i..i + 8] {
            i += 8;
            continue;
        }
        if before[i] == after[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && before[i] != after[i] {
            i += 1;
        }
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

/// The full-page image of `page` as a delta against zeros.
pub fn image(page: &[u8], out: &mut Vec<u8>) {
    let zeros = vec![0u8; page.len()];
    compute(&zeros, page, out);
}

fn push_fragment(out: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
    // Fragments longer than u16 cannot occur: pages are at most 64 KiB and a
    // fragment of a whole 64 KiB page is split in two.
    for (k, chunk) in bytes.chunks(usize::from(u16::MAX)).enumerate() {
        let off = offset + k * usize::from(u16::MAX);
        out.extend_from_slice(&(off as u16).to_le_bytes());
        out.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        out.extend_from_slice(chunk);
    }
}

/// A delta that does not fit the page it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDelta;

/// Applies `delta` to `page`.
pub fn apply(page: &mut [u8], mut delta: &[u8]) -> Result<(), BadDelta> {
    while !delta.is_empty() {
        if delta.len() < 4 {
            return Err(BadDelta);
        }
        let off = usize::from(u16::from_le_bytes([delta[0], delta[1]]));
        let len = usize::from(u16::from_le_bytes([delta[2], delta[3]]));
        let bytes = delta.get(4..4 + len).ok_or(BadDelta)?;
        page.get_mut(off..off + len).ok_or(BadDelta)?.copy_from_slice(bytes);
        delta = &delta[4 + len..];
    }
    Ok(())
}

/// Number of fragments and changed bytes (for waldump).
pub fn summary(mut delta: &[u8]) -> (usize, usize) {
    let (mut frags, mut bytes) = (0, 0);
    while delta.len() >= 4 {
        let len = usize::from(u16::from_le_bytes([delta[2], delta[3]]));
        frags += 1;
        bytes += len;
        delta = delta.get(4 + len..).unwrap_or(&[]);
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
        apply(&mut page, &d).unwrap();
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
        // Three separate ranges: 3 headers + 42 bytes.
        assert_eq!(roundtrip(&before, &after), 3 * 4 + 42);
        // Nearby changes merge into one fragment.
        let mut near = before.clone();
        near[10] = 1;
        near[15] = 1;
        assert_eq!(roundtrip(&before, &near), 4 + 6);
        let full: Vec<u8> = (0..8192).map(|i| (i % 251) as u8 + 1).collect();
        roundtrip(&before, &full);
        roundtrip(&full, &before);
    }

    #[test]
    fn an_image_skips_the_hole() {
        let mut page = vec![0u8; 8192];
        page[..24].fill(9);
        page[8000..].fill(3);
        let mut d = Vec::new();
        image(&page, &mut d);
        assert_eq!(d.len(), 2 * 4 + 24 + 192);
        let mut restored = vec![0u8; 8192];
        apply(&mut restored, &d).unwrap();
        assert_eq!(restored, page);
    }

    #[test]
    fn bad_deltas_are_refused() {
        let mut page = vec![0u8; 16];
        assert_eq!(apply(&mut page, &[1, 0]), Err(BadDelta));
        assert_eq!(apply(&mut page, &[10, 0, 10, 0, 1, 2]), Err(BadDelta));
        assert_eq!(apply(&mut page, &[14, 0, 4, 0, 1, 2, 3, 4]), Err(BadDelta));
    }
}
