//! LZ4's block format, the TOAST compression method `lz4`
//! (`default_toast_compression = lz4`, `COMPRESSION lz4`).
//!
//! A block is a run of sequences. Each starts with a token byte: its high
//! four bits are the number of literal bytes that follow, its low four bits
//! the match length minus 4; a nibble of 15 continues in extra bytes that
//! each add up to 255, the first one below 255 ending it. After the
//! literals come the match's offset back from the end of the output
//! (2 bytes, little-endian, 1..65535) and the match length's extra bytes.
//! The last sequence has literals only, and as LZ4 requires, the last five
//! bytes are always literals and no match starts in the last twelve, so that
//! any LZ4 decoder reads what [`compress`] writes.
//!
//! As for PostgreSQL's lz4 method, any result shorter than its input is
//! worth keeping (the caller checks that the header does not eat the gain).
//! [`decompress`] checks every length and offset.

const MIN_MATCH: usize = 4;
/// No match starts in the last 12 bytes of a block.
const MF_LIMIT: usize = 12;
/// The last 5 bytes are literals.
const LAST_LITERALS: usize = 5;
const MAX_OFFSET: usize = 65_535;
const HASH_BITS: u32 = 14;

fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn hash(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

fn put_length(out: &mut Vec<u8>, mut extra: usize) {
    while extra >= 255 {
        out.push(255);
        extra -= 255;
    }
    out.push(extra as u8);
}

fn put_sequence(out: &mut Vec<u8>, literals: &[u8], matched: Option<(usize, usize)>) {
    let lit = literals.len();
    let match_code = matched.map_or(0, |(len, _)| len - MIN_MATCH);
    out.push(((lit.min(15) as u8) << 4) | match_code.min(15) as u8);
    if lit >= 15 {
        put_length(out, lit - 15);
    }
    out.extend_from_slice(literals);
    if let Some((_, offset)) = matched {
        out.extend_from_slice(&(offset as u16).to_le_bytes());
        if match_code >= 15 {
            put_length(out, match_code - 15);
        }
    }
}

/// Compresses `input`, or None when the result would not be shorter.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out = Vec::with_capacity(n);
    let mut table = vec![usize::MAX; 1 << HASH_BITS];
    let mut anchor = 0;
    let mut pos = 0;
    if n > MF_LIMIT {
        let match_limit = n - MF_LIMIT;
        while pos < match_limit {
            let v = read_u32(input, pos);
            let h = hash(v);
            let cand = table[h];
            table[h] = pos;
            if cand != usize::MAX && pos - cand <= MAX_OFFSET && read_u32(input, cand) == v {
                let max_len = n - LAST_LITERALS - pos;
                let len = MIN_MATCH
                    + input[cand + MIN_MATCH..]
                        .iter()
                        .zip(&input[pos + MIN_MATCH..pos + max_len])
                        .take_while(|(a, b)| a == b)
                        .count();
                put_sequence(&mut out, &input[anchor..pos], Some((len, pos - cand)));
                if out.len() >= n {
                    return None;
                }
                pos += len;
                anchor = pos;
                continue;
            }
            pos += 1;
        }
    }
    put_sequence(&mut out, &input[anchor..], None);
    (out.len() < n).then_some(out)
}

/// Decompresses a block into exactly `raw_len` bytes; an error describes a
/// damaged block.
pub fn decompress(input: &[u8], raw_len: usize) -> Result<Vec<u8>, String> {
    let bad = |what: &str| format!("compressed lz4 data is corrupt: {what}");
    let mut out: Vec<u8> = Vec::with_capacity(raw_len);
    let mut i = 0;
    let length = |i: &mut usize, base: usize| -> Result<usize, String> {
        let mut len = base;
        loop {
            let b = *input.get(*i).ok_or_else(|| bad("truncated length"))?;
            *i += 1;
            len += usize::from(b);
            if b != 255 {
                return Ok(len);
            }
        }
    };
    loop {
        let token = *input.get(i).ok_or_else(|| bad("truncated block"))?;
        i += 1;
        let mut lit = usize::from(token >> 4);
        if lit == 15 {
            lit = length(&mut i, 15)?;
        }
        let literals = input
            .get(i..i.saturating_add(lit))
            .ok_or_else(|| bad("literals past the end"))?;
        if out.len() + lit > raw_len {
            return Err(bad("longer than its raw size"));
        }
        out.extend_from_slice(literals);
        i += lit;
        if i == input.len() {
            break;
        }
        let off = input
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| bad("truncated offset"))?;
        i += 2;
        let mut len = usize::from(token & 0x0f);
        if len == 15 {
            len = length(&mut i, 15)?;
        }
        len += MIN_MATCH;
        if off == 0 || off > out.len() {
            return Err(bad("offset out of range"));
        }
        if out.len() + len > raw_len {
            return Err(bad("longer than its raw size"));
        }
        let from = out.len() - off;
        if off >= len {
            out.extend_from_within(from..from + len);
        } else {
            for k in 0..len {
                let b = out[from + k];
                out.push(b);
            }
        }
    }
    if out.len() != raw_len {
        return Err(bad(&format!(
            "{} bytes decompressed, {raw_len} expected",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn round_trip(input: &[u8]) -> Option<usize> {
        let c = compress(input)?;
        assert_eq!(decompress(&c, input.len()).unwrap(), input);
        Some(c.len())
    }

    #[test]
    fn round_trips() {
        assert!(round_trip(&vec![b'z'; 1_000_000]).unwrap() < 5000);
        let mut text = Vec::new();
        for i in 0..3000 {
            text.extend_from_slice(format!("{i}: the quick brown fox; ").as_bytes());
        }
        assert!(round_trip(&text).unwrap() < text.len() / 2);
        for len in [13, 16, 17, 19, 20, 30, 100, 270, 271, 300, 70_000] {
            let input: Vec<u8> = (0..len).map(|i| (i % 5) as u8).collect();
            round_trip(&input);
        }
        // Incompressible input is given up.
        let noise = super::super::noise_bytes(4096, 88_172_645_463_325_252);
        assert_eq!(compress(&noise), None);
        assert_eq!(compress(b"abc"), None);
    }

    #[test]
    fn decodes_a_hand_written_block() {
        // 1 literal 'a', then offset 1 match 4 + 15 + 1 = 20, then literals "bcdef".
        let block = [0x1f, b'a', 1, 0, 1, 0x50, b'b', b'c', b'd', b'e', b'f'];
        let mut want = vec![b'a'; 21];
        want.extend_from_slice(b"bcdef");
        assert_eq!(decompress(&block, 26).unwrap(), want);
    }

    #[test]
    fn damaged_blocks_are_errors() {
        let c = compress(&vec![b'q'; 5000]).unwrap();
        assert!(decompress(&c, 4999).is_err());
        assert!(decompress(&c, 5001).is_err());
        assert!(decompress(&c[..c.len() - 1], 5000).is_err());
        assert!(decompress(&[0x10, b'a', 5, 0], 10).is_err());
        assert!(decompress(&[], 0).is_err());
        for at in 0..c.len() {
            let mut bad = c.clone();
            bad[at] ^= 0xa5;
            let _ = decompress(&bad, 5000);
        }
    }
}
