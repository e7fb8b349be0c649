//! PostgreSQL's LZ compression format (`pglz`), the default TOAST compression
//! method (`default_toast_compression = pglz`).
//!
//! The compressed stream is a sequence of groups: one control byte, then up
//! to eight items, one per control bit from the least significant up. A clear
//! bit is a literal byte copied as is; a set bit is a back reference of two
//! or three bytes into the output already produced:
//!
//! ```text
//!   byte 0: OOOO LLLL   O = offset bits 11..8, L = length - 3 (0..14),
//!                       or 15: the length is 18 + byte 2
//!   byte 1: OOOO OOOO   offset bits 7..0 (offset 1..4095 back from the end)
//!   byte 2: (only when L = 15) length - 18 (0..255)
//! ```
//!
//! So a match is 3 to 273 bytes long and starts at most 4095 bytes back. A
//! reference may overlap the bytes it produces (offset 1 length 100 repeats
//! one byte). The raw length is not in the stream: the TOAST header carries it.
//!
//! [`compress`] follows the default strategy's contract: inputs shorter than
//! 32 bytes are not compressed, and a result that does not save at least 25%
//! (or that finds nothing to reference in its first kilobyte of output) is
//! given up, so that the caller stores the value as it is. The matcher is a
//! hash table of chains over the 4 KiB window (the encoding is PostgreSQL's;
//! the search is ours). [`decompress`] checks every length and offset against
//! the buffers: a damaged stream is an error, never a panic.

/// The shortest input worth compressing.
const MIN_INPUT: usize = 32;
/// The least saving, in percent, that makes a compressed form worth keeping.
const MIN_SAVING_PERCENT: usize = 25;
/// Give up if no match was found by the time this much output was written.
const FIRST_SUCCESS_BY: usize = 1024;
/// A match this long ends the search for a longer one.
const GOOD_MATCH: usize = 128;
/// How many candidates of a hash chain are examined at most.
const MAX_CHAIN: usize = 64;

/// The longest back reference (`PGLZ_MAX_MATCH`).
const MAX_MATCH: usize = 273;
/// The shortest one.
const MIN_MATCH: usize = 3;
/// How far back a reference reaches (`PGLZ_MAX_OFFSET`).
const MAX_OFFSET: usize = 4095;

const HASH_BITS: u32 = 12;
const NO_POSITION: usize = usize::MAX;

fn hash(input: &[u8], at: usize) -> usize {
    let v = u32::from(input[at]) << 16 | u32::from(input[at + 1]) << 8 | u32::from(input[at + 2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

/// Compresses `input`, or None when it is too short or does not compress well
/// enough to be worth storing compressed.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    let n = input.len();
    if n < MIN_INPUT {
        return None;
    }
    // The result must be smaller than this to be kept.
    let limit = n - n * MIN_SAVING_PERCENT / 100;
    let mut out = Vec::with_capacity(limit + 4);
    let mut heads = vec![NO_POSITION; 1 << HASH_BITS];
    let mut prev = vec![NO_POSITION; n];
    let mut control_at = 0;
    let mut control_bit = 8u32;
    let mut found_any = false;
    let mut pos = 0;
    let insert = |heads: &mut [usize], prev: &mut [usize], at: usize| {
        if at + MIN_MATCH <= n {
            let h = hash(input, at);
            prev[at] = heads[h];
            heads[h] = at;
        }
    };
    while pos < n {
        if out.len() >= limit {
            return None;
        }
        if !found_any && out.len() >= FIRST_SUCCESS_BY {
            return None;
        }
        if control_bit == 8 {
            control_at = out.len();
            out.push(0);
            control_bit = 0;
        }
        // The longest match for the bytes at `pos` within the window.
        let (mut best_len, mut best_off) = (0, 0);
        if pos + MIN_MATCH <= n {
            let max_len = MAX_MATCH.min(n - pos);
            let mut cand = heads[hash(input, pos)];
            let mut steps = 0;
            while cand != NO_POSITION && pos - cand <= MAX_OFFSET && steps < MAX_CHAIN {
                let len = input[cand..]
                    .iter()
                    .zip(&input[pos..pos + max_len])
                    .take_while(|(a, b)| a == b)
                    .count();
                if len > best_len {
                    (best_len, best_off) = (len, pos - cand);
                    if len >= GOOD_MATCH || len == max_len {
                        break;
                    }
                }
                cand = prev[cand];
                steps += 1;
            }
        }
        if best_len >= MIN_MATCH {
            found_any = true;
            out[control_at] |= 1 << control_bit;
            let hi = ((best_off >> 4) & 0xf0) as u8;
            if best_len < 18 {
                out.push(hi | (best_len - MIN_MATCH) as u8);
                out.push((best_off & 0xff) as u8);
            } else {
                out.push(hi | 0x0f);
                out.push((best_off & 0xff) as u8);
                out.push((best_len - 18) as u8);
            }
            for at in pos..pos + best_len {
                insert(&mut heads, &mut prev, at);
            }
            pos += best_len;
        } else {
            out.push(input[pos]);
            insert(&mut heads, &mut prev, pos);
            pos += 1;
        }
        control_bit += 1;
    }
    (out.len() < limit).then_some(out)
}

/// Decompresses `input` into exactly `raw_len` bytes; an error describes a
/// stream that is damaged (a reference before the start, a length past the
/// end, or a stream that ends early or produces the wrong length).
pub fn decompress(input: &[u8], raw_len: usize) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::with_capacity(raw_len);
    let mut i = 0;
    while i < input.len() && out.len() < raw_len {
        let control = input[i];
        i += 1;
        for bit in 0..8 {
            if i >= input.len() || out.len() >= raw_len {
                break;
            }
            if control & (1 << bit) == 0 {
                out.push(input[i]);
                i += 1;
                continue;
            }
            let (Some(&b0), Some(&b1)) = (input.get(i), input.get(i + 1)) else {
                return Err("compressed data is corrupted: truncated reference".into());
            };
            let mut len = usize::from(b0 & 0x0f) + MIN_MATCH;
            let off = usize::from(b0 & 0xf0) << 4 | usize::from(b1);
            i += 2;
            if len == 18 {
                let Some(&extra) = input.get(i) else {
                    return Err("compressed data is corrupted: truncated reference".into());
                };
                len += usize::from(extra);
                i += 1;
            }
            if off == 0 || off > out.len() {
                return Err("compressed data is corrupted: reference out of range".into());
            }
            if out.len() + len > raw_len {
                return Err("compressed data is corrupted: longer than its raw size".into());
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
    }
    if out.len() != raw_len || i != input.len() {
        return Err(format!(
            "compressed data is corrupted: {} bytes decompressed, {raw_len} expected",
            out.len()
        ));
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

    use super::super::noise_bytes as noise;

    #[test]
    fn repeated_bytes_compress_to_long_references() {
        let input = vec![b'x'; 100_000];
        let len = round_trip(&input).expect("compressible");
        // One literal, then references of 273 bytes at 3 bytes each plus
        // one control byte per eight items.
        assert!(len < 1300, "{len}");
    }

    #[test]
    fn text_round_trips() {
        let mut input = Vec::new();
        for i in 0..5000 {
            input.extend_from_slice(
                format!("row {i} of a table, value {}; ", i * 7 % 13).as_bytes(),
            );
        }
        let len = round_trip(&input).expect("compressible");
        assert!(len < input.len() / 2, "{len} of {}", input.len());
    }

    #[test]
    fn short_and_incompressible_inputs_are_given_up() {
        assert_eq!(compress(b"abcabcabcabc"), None);
        assert_eq!(compress(&noise(10_000, 42)), None);
        // Noise with a compressible tail: nothing found in the first kilobyte.
        let mut input = noise(5000, 7);
        input.extend(std::iter::repeat_n(b'a', 50_000));
        assert_eq!(compress(&input), None);
    }

    #[test]
    fn overlapping_and_boundary_lengths() {
        for len in [32, 33, 35, 50, 273, 274, 276, 290, 4095, 4096, 4097, 9000] {
            let mut input: Vec<u8> = (0..len).map(|i| (i % 7) as u8).collect();
            input[0] = 200;
            round_trip(&input);
        }
        // Matches at the far end of the window.
        let mut input = noise(4095, 3);
        input.extend_from_slice(&input.clone()[..2000]);
        input.extend_from_slice(&input.clone()[..4000]);
        let c = compress(&input);
        if let Some(c) = c {
            assert_eq!(decompress(&c, input.len()).unwrap(), input);
        }
    }

    #[test]
    fn decoding_the_reference_encoding() {
        // 'a', then a reference offset 1 length 20 (15 + extra 2): 21 'a's.
        let stream = [0b10, b'a', 0x0f, 0x01, 2];
        assert_eq!(decompress(&stream, 21).unwrap(), vec![b'a'; 21]);
        // 'ab', then offset 2 length 4: "ababab".
        let stream = [0b100, b'a', b'b', 0x01, 0x02];
        assert_eq!(decompress(&stream, 6).unwrap(), b"ababab");
    }

    #[test]
    fn damaged_streams_are_errors() {
        let c = compress(&vec![b'y'; 1000]).unwrap();
        assert!(decompress(&c, 999).is_err());
        assert!(decompress(&c, 1001).is_err());
        assert!(decompress(&c[..c.len() - 1], 1000).is_err());
        // A reference before the start of the output.
        assert!(decompress(&[0b1, 0x00, 0x05], 3).is_err());
        assert!(decompress(&[0b10, b'a', 0x0f], 30).is_err());
        assert!(decompress(&[], 1).is_err());
        for cut in 0..c.len() {
            let mut bad = c.clone();
            bad[cut] ^= 0x5a;
            let _ = decompress(&bad, 1000);
        }
    }
}
