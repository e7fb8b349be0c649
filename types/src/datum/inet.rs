//! Network addresses: the `inet` and `cidr` types (PostgreSQL's
//! `utils/adt/network.c` value side, with the address parsing and printing
//! rules of its `inet_net_pton.c`, `inet_net_ntop.c` and `inet_cidr_ntop.c`).
//!
//! Both types hold an IPv4 or IPv6 address and a netmask length. They differ
//! in two ways only:
//!
//! - a `cidr` is a network: no bit may be set to the right of its mask
//!   (`invalid cidr value`), and IPv4 input without a mask takes the length
//!   of its address class (`10` is `10.0.0.0/8`, `192.168.1` is
//!   `192.168.1.0/24`);
//! - `inet` prints its mask only when it is not that of a single host
//!   (`/32`, `/128`), `cidr` always prints it.
//!
//! Since a [`super::Datum`] does not carry its type, [`InetValue::cidr`]
//! says which of the two a value is, for output and `inet_send`; comparison
//! ignores it (a `cidr` compares with an `inet` as PostgreSQL's binary
//! coercion lets it).
//!
//! The btree order is PostgreSQL's `network_cmp`: IPv4 before IPv6, then the
//! network parts over the shorter of the two masks, then the mask length,
//! then the whole address. The binary form (`inet_send`: family, bits,
//! is_cidr, address length, address bytes) is also how a value is stored.

use std::cmp::Ordering;

use crate::{PgError, PgResult, SqlState};

/// PostgreSQL's `PGSQL_AF_INET` / `PGSQL_AF_INET6` as `inet_send` writes them.
const PGSQL_AF_INET: u8 = 2;
const PGSQL_AF_INET6: u8 = 3;

/// An `inet` or `cidr` value. For IPv4 only `addr[..4]` is used; the rest is
/// zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InetValue {
    pub v6: bool,
    /// the netmask length, at most [`InetValue::max_bits`]
    pub bits: u8,
    pub addr: [u8; 16],
    /// a `cidr` (prints its mask always); see the module doc
    pub cidr: bool,
}

fn syntax(cidr: bool, s: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!(
            "invalid input syntax for type {}: \"{s}\"",
            if cidr { "cidr" } else { "inet" }
        ),
    )
}

fn invalid_parameter(msg: impl Into<String>) -> PgError {
    PgError::new(SqlState::InvalidParameterValue, msg)
}

fn out_of_range() -> PgError {
    PgError::new(SqlState::NumericValueOutOfRange, "result is out of range")
}

/// Reads a run of decimal digits at `b[*i..]`, at most `max`; None when there
/// is none or it exceeds `max`.
fn decimal(b: &[u8], i: &mut usize, max: u32) -> Option<u32> {
    let start = *i;
    let mut v: u32 = 0;
    while let Some(c) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(u32::from(c - b'0'));
        if v > max {
            return None;
        }
        *i += 1;
    }
    (*i > start).then_some(v)
}

/// `/n` after an address: the digits to the end of the input, at most `max`.
fn mask_suffix(b: &[u8], i: usize, max: u32) -> Option<u32> {
    let mut j = i;
    let v = decimal(b, &mut j, u32::MAX)?;
    (j == b.len() && v <= max).then_some(v)
}

/// IPv4 `inet` input: one to four dotted decimal octets and an optional
/// `/n`; without `/n` all four octets are required, and the mask may not
/// cover more octets than were given.
fn parse_v4_inet(b: &[u8]) -> Option<([u8; 4], u32)> {
    let mut out = [0u8; 4];
    let mut n = 0;
    let mut i = 0;
    loop {
        let v = decimal(b, &mut i, 255)?;
        if n == 4 {
            return None;
        }
        out[n] = v as u8;
        n += 1;
        match b.get(i) {
            None | Some(b'/') => break,
            // a dot not followed by a digit ends the octets (`1.2.3.4.`
            // is accepted, as PostgreSQL accepts it)
            Some(b'.') => {
                i += 1;
                if !b.get(i).is_some_and(u8::is_ascii_digit) {
                    break;
                }
            }
            _ => return None,
        }
    }
    let bits = match b.get(i) {
        Some(b'/') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => mask_suffix(b, i + 1, 32)?,
        None if n == 4 => 32,
        _ => return None,
    };
    ((bits / 8) as usize <= n).then_some((out, bits))
}

/// IPv4 `cidr` input: dotted decimal octets (or `0x` and hex digits) with
/// an optional `/n`; without it, the classful length of the first octet,
/// widened to the octets given.
fn parse_v4_cidr(b: &[u8]) -> Option<([u8; 4], u32)> {
    let mut out = [0u8; 4];
    let mut n = 0;
    let mut i = 0;
    if b.len() > 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' && b[2].is_ascii_hexdigit() {
        i = 2;
        let mut nibbles = 0;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_hexdigit()) {
            let d = (*c as char).to_digit(16)? as u8;
            if nibbles % 2 == 0 {
                if n == 4 {
                    return None;
                }
                out[n] = d << 4;
                n += 1;
            } else {
                out[n - 1] |= d;
            }
            nibbles += 1;
            i += 1;
        }
    } else {
        loop {
            let v = decimal(b, &mut i, 255)?;
            if n == 4 {
                return None;
            }
            out[n] = v as u8;
            n += 1;
            match b.get(i) {
                None | Some(b'/') => break,
                Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
                _ => return None,
            }
        }
    }
    let bits = match b.get(i) {
        Some(b'/') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => mask_suffix(b, i + 1, 32)?,
        None => {
            let class = match out[0] {
                240.. => 32,
                224.. => 8,
                192.. => 24,
                128.. => 16,
                _ => 8,
            };
            let bits = class.max(n as u32 * 8);
            if bits == 8 && out[0] == 224 { 4 } else { bits }
        }
        _ => return None,
    };
    Some((out, bits))
}

/// The dotted IPv4 tail of an IPv6 address (`::ffff:1.2.3.4`), possibly
/// with `/n`: octets without leading zeros, at most four.
fn parse_v6_tail(b: &[u8], out: &mut [u8], bits: &mut Option<u32>) -> bool {
    let mut n = 0;
    let mut i = 0;
    loop {
        let start = i;
        let Some(v) = decimal(b, &mut i, 255) else {
            return false;
        };
        if i - start > 1 && b[start] == b'0' {
            return false;
        }
        if n == 4 {
            return false;
        }
        out[n] = v as u8;
        n += 1;
        match b.get(i) {
            None => return true,
            Some(b'.') => i += 1,
            Some(b'/') => {
                return match v6_bits(&b[i + 1..]) {
                    Some(v) => {
                        *bits = Some(v);
                        true
                    }
                    None => false,
                };
            }
            _ => return false,
        }
    }
}

/// The `/n` of an IPv6 address: digits without leading zeros, at most 128.
fn v6_bits(b: &[u8]) -> Option<u32> {
    if b.len() > 1 && b[0] == b'0' {
        return None;
    }
    mask_suffix(b, 0, 128)
}

/// IPv6 input (`inet` and `cidr` alike): groups of up to four hex digits,
/// one `::`, an optional dotted IPv4 tail and an optional `/n` (128 if none).
fn parse_v6(s: &[u8]) -> Option<([u8; 16], u32)> {
    let mut tmp = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut i = 0;
    if s.first() == Some(&b':') {
        if s.get(1) != Some(&b':') {
            return None;
        }
        i = 1;
    }
    let mut curtok = i;
    let mut saw_xdigit = false;
    let mut val: u32 = 0;
    let mut digits = 0;
    let mut bits: Option<u32> = None;
    while let Some(&ch) = s.get(i) {
        i += 1;
        if let Some(d) = (ch as char).to_digit(16) {
            val = (val << 4) | d;
            digits += 1;
            if digits > 4 {
                return None;
            }
            saw_xdigit = true;
            continue;
        }
        if ch == b':' {
            curtok = i;
            if !saw_xdigit {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if i == s.len() || tp + 2 > 16 {
                return None;
            }
            tmp[tp] = (val >> 8) as u8;
            tmp[tp + 1] = val as u8;
            tp += 2;
            saw_xdigit = false;
            digits = 0;
            val = 0;
            continue;
        }
        if ch == b'.'
            && tp + 4 <= 16
            && parse_v6_tail(&s[curtok..], &mut tmp[tp..tp + 4], &mut bits)
        {
            tp += 4;
            saw_xdigit = false;
            break;
        }
        if ch == b'/'
            && let Some(b) = v6_bits(&s[i..])
        {
            bits = Some(b);
            break;
        }
        return None;
    }
    if saw_xdigit {
        if tp + 2 > 16 {
            return None;
        }
        tmp[tp] = (val >> 8) as u8;
        tmp[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(c) = colonp {
        if tp == 16 {
            return None;
        }
        let n = tp - c;
        let moved: Vec<u8> = tmp[c..tp].to_vec();
        tmp[c..tp].fill(0);
        tmp[16 - n..].copy_from_slice(&moved);
        tp = 16;
    }
    (tp == 16).then_some((tmp, bits.unwrap_or(128)))
}

/// Compares the first `bits` bits of two addresses (PostgreSQL's `bitncmp`).
fn bitncmp(a: &[u8], b: &[u8], bits: u32) -> Ordering {
    let whole = (bits / 8) as usize;
    let o = a[..whole].cmp(&b[..whole]);
    if o != Ordering::Equal || bits.is_multiple_of(8) {
        return o;
    }
    let m = 0xffu8 << (8 - bits % 8);
    (a[whole] & m).cmp(&(b[whole] & m))
}

/// The number of leading bits, at most `max`, in which two addresses agree.
fn common_bits(a: &[u8], b: &[u8], max: u32) -> u32 {
    let mut n = 0;
    for (x, y) in a.iter().zip(b) {
        let d = x ^ y;
        if d != 0 {
            n += d.leading_zeros();
            break;
        }
        n += 8;
    }
    n.min(max)
}

impl InetValue {
    /// `inet_in` / `cidr_in`: an address with `:` is IPv6, any other IPv4.
    pub fn parse(s: &str, cidr: bool) -> PgResult<InetValue> {
        let b = s.as_bytes();
        let mut addr = [0u8; 16];
        let v6 = s.contains(':');
        let bits = if v6 {
            let (a, bits) = parse_v6(b).ok_or_else(|| syntax(cidr, s))?;
            addr = a;
            bits
        } else {
            let parsed = if cidr {
                parse_v4_cidr(b)
            } else {
                parse_v4_inet(b)
            };
            let (a, bits) = parsed.ok_or_else(|| syntax(cidr, s))?;
            addr[..4].copy_from_slice(&a);
            bits
        };
        let v = InetValue {
            v6,
            bits: bits as u8,
            addr,
            cidr,
        };
        if cidr && v.network().addr != v.addr {
            return Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                format!("invalid cidr value: \"{s}\""),
            )
            .with_detail("Value has bits set to right of mask."));
        }
        Ok(v)
    }

    /// 32 or 128.
    pub fn max_bits(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    /// The address bytes (4 or 16).
    pub fn bytes(&self) -> &[u8] {
        if self.v6 { &self.addr } else { &self.addr[..4] }
    }

    fn as_u128(&self) -> u128 {
        self.bytes()
            .iter()
            .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
    }

    fn with_u128(&self, v: u128) -> InetValue {
        let mut r = *self;
        let n = self.bytes().len();
        for i in 0..n {
            r.addr[i] = (v >> (8 * (n - 1 - i))) as u8;
        }
        r
    }

    /// The mask of `bits` leading ones over the address width.
    fn mask(&self, bits: u8) -> u128 {
        let width = u32::from(self.max_bits());
        let all = if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        all & !all.checked_shr(u32::from(bits)).unwrap_or(0)
    }

    /// `inet_out` / `cidr_out`.
    pub fn to_text(&self) -> String {
        let mut s = self.address_text();
        if self.cidr || self.bits != self.max_bits() {
            s.push_str(&format!("/{}", self.bits));
        }
        s
    }

    /// `text(inet)`: the address and its mask, always.
    pub fn show(&self) -> String {
        format!("{}/{}", self.address_text(), self.bits)
    }

    /// `host(inet)` and the address part of the output: dotted IPv4, or
    /// IPv6 with the longest run of two or more zero groups as `::` and an
    /// IPv4-compatible or -mapped tail as dotted octets.
    pub fn address_text(&self) -> String {
        if !self.v6 {
            let a = &self.addr;
            return format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
        }
        let words: Vec<u16> = self
            .addr
            .chunks(2)
            .map(|c| u16::from(c[0]) << 8 | u16::from(c[1]))
            .collect();
        // the longest run of zero words (the first of equal runs)
        // (start, length) of runs of zero words
        let mut best: Option<(usize, usize)> = None;
        let mut cur: Option<(usize, usize)> = None;
        for (i, &w) in words.iter().enumerate() {
            if w == 0 {
                cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
            } else if let Some(c) = cur.take()
                && best.is_none_or(|b| c.1 > b.1)
            {
                best = Some(c);
            }
        }
        if let Some(c) = cur
            && best.is_none_or(|b| c.1 > b.1)
        {
            best = Some(c);
        }
        let best = best.filter(|b| b.1 >= 2);
        let mut s = String::new();
        for (i, &w) in words.iter().enumerate() {
            if let Some((base, len)) = best
                && i >= base
                && i < base + len
            {
                if i == base {
                    s.push(':');
                }
                continue;
            }
            if i != 0 {
                s.push(':');
            }
            if i == 6
                && let Some((0, len)) = best
                && (len == 6 || (len == 7 && words[7] != 1) || (len == 5 && words[5] == 0xffff))
            {
                let a = &self.addr;
                s.push_str(&format!("{}.{}.{}.{}", a[12], a[13], a[14], a[15]));
                break;
            }
            s.push_str(&format!("{w:x}"));
        }
        if best.is_some_and(|(b, l)| b + l == 8) {
            s.push(':');
        }
        s
    }

    /// `abbrev()`: an `inet` as it prints; a `cidr` with only the octets
    /// (IPv4) or groups (IPv6) its mask covers.
    pub fn abbrev(&self) -> String {
        if !self.cidr {
            return self.to_text();
        }
        let bits = usize::from(self.bits);
        let mut s = String::new();
        if !self.v6 {
            if bits == 0 {
                s.push('0');
            }
            let whole = bits / 8;
            let parts: Vec<String> = self.addr[..whole].iter().map(|b| b.to_string()).collect();
            s.push_str(&parts.join("."));
            if bits % 8 > 0 {
                if !s.is_empty() {
                    s.push('.');
                }
                let m = 0xffu8 << (8 - bits % 8);
                s.push_str(&(self.addr[whole] & m).to_string());
            }
            s.push_str(&format!("/{bits}"));
            return s;
        }
        if bits == 0 {
            s.push_str("::");
        } else {
            let inbuf = self.network().addr;
            let mut words = bits.div_ceil(16);
            if words == 1 {
                words = 2;
            }
            let word = |p: usize| u32::from(inbuf[2 * p]) << 8 | u32::from(inbuf[2 * p + 1]);
            let (mut zero_s, mut zero_l, mut tmp_s, mut tmp_l) = (0, 0, 0, 0);
            for p in 0..words {
                if word(p) == 0 {
                    if tmp_l == 0 {
                        tmp_s = p;
                    }
                    tmp_l += 1;
                } else if tmp_l != 0 && zero_l < tmp_l {
                    zero_s = tmp_s;
                    zero_l = tmp_l;
                    tmp_l = 0;
                }
            }
            if tmp_l != 0 && zero_l < tmp_l {
                zero_s = tmp_s;
                zero_l = tmp_l;
            }
            let is_ipv4 = zero_l != words
                && zero_s == 0
                && (zero_l == 6
                    || (zero_l == 5 && inbuf[10] == 0xff && inbuf[11] == 0xff)
                    || (zero_l == 7 && inbuf[14] != 0 && inbuf[15] != 1));
            for p in 0..words {
                if zero_l != 0 && p >= zero_s && p < zero_s + zero_l {
                    if p == zero_s {
                        s.push(':');
                    }
                    if p == words - 1 {
                        s.push(':');
                    }
                    continue;
                }
                if is_ipv4 && p > 5 {
                    s.push(if p == 6 { ':' } else { '.' });
                    s.push_str(&inbuf[2 * p].to_string());
                    if p != 7 || bits > 120 {
                        s.push('.');
                        s.push_str(&inbuf[2 * p + 1].to_string());
                    }
                } else {
                    if !s.is_empty() {
                        s.push(':');
                    }
                    s.push_str(&format!("{:x}", word(p)));
                }
            }
        }
        s.push_str(&format!("/{bits}"));
        s
    }

    /// `inet_send` / `cidr_send`.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut v = vec![
            if self.v6 {
                PGSQL_AF_INET6
            } else {
                PGSQL_AF_INET
            },
            self.bits,
            u8::from(self.cidr),
            self.bytes().len() as u8,
        ];
        v.extend_from_slice(self.bytes());
        v
    }

    /// `inet_recv` / `cidr_recv`.
    pub fn from_binary(b: &[u8], cidr: bool) -> PgResult<InetValue> {
        let name = if cidr { "cidr" } else { "inet" };
        let bad = |what: &str| {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                format!("invalid {what} in external \"{name}\" value"),
            )
        };
        if b.len() < 4 {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            ));
        }
        let v6 = match b[0] {
            PGSQL_AF_INET => false,
            PGSQL_AF_INET6 => true,
            _ => return Err(bad("address family")),
        };
        let n = if v6 { 16 } else { 4 };
        if b[1] > if v6 { 128 } else { 32 } {
            return Err(bad("bits"));
        }
        if usize::from(b[3]) != n || b.len() != 4 + n {
            return Err(bad("length"));
        }
        let mut addr = [0u8; 16];
        addr[..n].copy_from_slice(&b[4..]);
        let v = InetValue {
            v6,
            bits: b[1],
            addr,
            cidr,
        };
        if cidr && v.network().addr != v.addr {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid external \"cidr\" value",
            )
            .with_detail("Value has bits set to right of mask."));
        }
        Ok(v)
    }

    /// The btree order (`network_cmp`).
    pub fn compare(&self, other: &InetValue) -> Ordering {
        self.v6
            .cmp(&other.v6)
            .then_with(|| {
                bitncmp(
                    &self.addr,
                    &other.addr,
                    u32::from(self.bits.min(other.bits)),
                )
            })
            .then(self.bits.cmp(&other.bits))
            .then_with(|| bitncmp(&self.addr, &other.addr, u32::from(self.max_bits())))
    }

    /// `network()`: the address with its host bits cleared, as a `cidr`.
    pub fn network(&self) -> InetValue {
        let mut r = self.with_u128(self.as_u128() & self.mask(self.bits));
        r.cidr = true;
        r
    }

    /// `broadcast()`: the address with its host bits set.
    pub fn broadcast(&self) -> InetValue {
        let mut r =
            self.with_u128(self.as_u128() | !self.mask(self.bits) & self.mask(self.max_bits()));
        r.cidr = false;
        r
    }

    /// `netmask()`: the mask as a host address.
    pub fn netmask(&self) -> InetValue {
        InetValue {
            bits: self.max_bits(),
            cidr: false,
            ..self.with_u128(self.mask(self.bits))
        }
    }

    /// `hostmask()`: the inverted mask as a host address.
    pub fn hostmask(&self) -> InetValue {
        InetValue {
            bits: self.max_bits(),
            cidr: false,
            ..self.with_u128(!self.mask(self.bits) & self.mask(self.max_bits()))
        }
    }

    /// `set_masklen()`: -1 means the full width; a `cidr` loses the bits
    /// right of its new mask.
    pub fn set_masklen(&self, bits: i32) -> PgResult<InetValue> {
        let b = if bits == -1 {
            i32::from(self.max_bits())
        } else {
            bits
        };
        if b < 0 || b > i32::from(self.max_bits()) {
            return Err(invalid_parameter(format!("invalid mask length: {bits}")));
        }
        let r = InetValue {
            bits: b as u8,
            ..*self
        };
        Ok(if self.cidr { r.network() } else { r })
    }

    /// `<<` (`sub = false` and `>>` swapped) and `<<=`: is `self` within
    /// `other`'s network?
    pub fn within(&self, other: &InetValue, or_equal: bool) -> bool {
        self.v6 == other.v6
            && if or_equal {
                self.bits >= other.bits
            } else {
                self.bits > other.bits
            }
            && bitncmp(&self.addr, &other.addr, u32::from(other.bits)) == Ordering::Equal
    }

    /// `&&`: does either network contain the other?
    pub fn overlaps(&self, other: &InetValue) -> bool {
        self.v6 == other.v6
            && bitncmp(
                &self.addr,
                &other.addr,
                u32::from(self.bits.min(other.bits)),
            ) == Ordering::Equal
    }

    /// `inet_merge()`: the smallest network holding both.
    pub fn merge(&self, other: &InetValue) -> PgResult<InetValue> {
        if self.v6 != other.v6 {
            return Err(invalid_parameter(
                "cannot merge addresses from different families",
            ));
        }
        let bits = common_bits(
            self.bytes(),
            other.bytes(),
            u32::from(self.bits.min(other.bits)),
        );
        Ok(InetValue {
            bits: bits as u8,
            ..*self
        }
        .network())
    }

    /// `~`: every address bit inverted, the mask kept.
    pub fn not(&self) -> InetValue {
        InetValue {
            cidr: false,
            ..self.with_u128(!self.as_u128() & self.mask(self.max_bits()))
        }
    }

    /// `&` and `|`: bitwise, with the longer of the two masks.
    pub fn bitwise(&self, other: &InetValue, and: bool) -> PgResult<InetValue> {
        if self.v6 != other.v6 {
            return Err(invalid_parameter(format!(
                "cannot {} inet values of different sizes",
                if and { "AND" } else { "OR" }
            )));
        }
        let (a, b) = (self.as_u128(), other.as_u128());
        Ok(InetValue {
            bits: self.bits.max(other.bits),
            cidr: false,
            ..self.with_u128(if and { a & b } else { a | b })
        })
    }

    /// `inet + int8` (and `- int8` with the addend negated); the address
    /// may not wrap around.
    pub fn add(&self, n: i64) -> PgResult<InetValue> {
        let a = self.as_u128();
        let r = if n >= 0 {
            a.checked_add(n as u128)
        } else {
            a.checked_sub(u128::from(n.unsigned_abs()))
        }
        .ok_or_else(out_of_range)?;
        if r > self.mask(self.max_bits()) {
            return Err(out_of_range());
        }
        Ok(InetValue {
            cidr: false,
            ..self.with_u128(r)
        })
    }

    /// `inet - inet`: the difference of the addresses, as a bigint.
    pub fn diff(&self, other: &InetValue) -> PgResult<i64> {
        if self.v6 != other.v6 {
            return Err(invalid_parameter(
                "cannot subtract inet values of different sizes",
            ));
        }
        let (a, b) = (self.as_u128(), other.as_u128());
        if a >= b {
            i64::try_from(a - b).map_err(|_| out_of_range())
        } else {
            let d = b - a;
            if d > 1u128 << 63 {
                return Err(out_of_range());
            }
            Ok((d as i64).wrapping_neg())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inet(s: &str) -> InetValue {
        InetValue::parse(s, false).unwrap()
    }

    fn cidr(s: &str) -> InetValue {
        InetValue::parse(s, true).unwrap()
    }

    #[test]
    fn input_and_output() {
        assert_eq!(inet("192.168.1.5").to_text(), "192.168.1.5");
        assert_eq!(inet("192.168.1.5/24").to_text(), "192.168.1.5/24");
        assert_eq!(inet("10/8").to_text(), "10.0.0.0/8");
        assert!(InetValue::parse("10/16", false).is_err());
        assert!(InetValue::parse("10.1.2", false).is_err());
        assert_eq!(cidr("10").to_text(), "10.0.0.0/8");
        assert_eq!(cidr("192.168.1").to_text(), "192.168.1.0/24");
        assert_eq!(cidr("128.1").to_text(), "128.1.0.0/16");
        assert_eq!(cidr("224").to_text(), "224.0.0.0/4");
        assert_eq!(cidr("1.2.3.4").to_text(), "1.2.3.4/32");
        let e = InetValue::parse("192.168.1.2/24", true).unwrap_err();
        assert_eq!(e.message, "invalid cidr value: \"192.168.1.2/24\"");
        assert_eq!(inet("::1").to_text(), "::1");
        assert_eq!(inet("::ffff:1.2.3.4").to_text(), "::ffff:1.2.3.4");
        assert_eq!(inet("::4.3.2.1/24").to_text(), "::4.3.2.1/24");
        assert_eq!(inet("10:23::f1/64").to_text(), "10:23::f1/64");
        assert_eq!(inet("1:0:0:2:0:0:0:3").to_text(), "1:0:0:2::3");
        assert_eq!(cidr("::/0").to_text(), "::/0");
        assert!(InetValue::parse("1:::2", false).is_err());
        assert!(InetValue::parse("::1/08", false).is_err());
    }

    #[test]
    fn abbrev_and_functions() {
        assert_eq!(cidr("10.1.0.0/16").abbrev(), "10.1/16");
        assert_eq!(cidr("10.1.2.0/23").abbrev(), "10.1.2/23");
        assert_eq!(cidr("0.0.0.0/0").abbrev(), "0/0");
        assert_eq!(cidr("10:23::/64").abbrev(), "10:23::/64");
        assert_eq!(
            inet("192.168.1.5/24").broadcast().to_text(),
            "192.168.1.255/24"
        );
        assert_eq!(inet("192.168.1.5/24").netmask().to_text(), "255.255.255.0");
        assert_eq!(inet("192.168.1.5/24").hostmask().to_text(), "0.0.0.255");
        assert_eq!(inet("192.168.1.5/24").network().to_text(), "192.168.1.0/24");
        assert!(inet("192.168.1.5").within(&cidr("192.168.1/24"), false));
        assert_eq!(
            inet("0.0.0.0").add(-1).unwrap_err().message,
            "result is out of range"
        );
        assert_eq!(inet("10.0.0.5").diff(&inet("10.0.0.9")).unwrap(), -4);
        assert_eq!(
            inet("192.168.1.5/24")
                .merge(&inet("192.168.2.5/24"))
                .unwrap()
                .to_text(),
            "192.168.0.0/22"
        );
        assert_eq!(inet("1.2.3.4").compare(&inet("::1")), Ordering::Less);
        assert_eq!(
            inet("10.0.0.0/8").compare(&inet("10.0.0.0/16")),
            Ordering::Less
        );
    }
}
