//! The `inet` and `cidr` operators and functions (PostgreSQL's
//! `utils/adt/network.c`): containment (`<<`, `<<=`, `>>`, `>>=`, `&&`),
//! bitwise and arithmetic operators, and the accessors (`host`, `masklen`,
//! `network`, `broadcast`, ...). The value logic lives in
//! [`types::datum::inet`]; this file maps implementation names onto it.

use types::datum::InetValue;
use types::{Datum, PgResult};

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    use Datum::{Bool, Inet, Int4, Int8, Text};
    let inet = |i: InetValue| Inet(InetValue { cidr: false, ..i });
    Ok(Some(match (func, args) {
        ("network_sub", [Inet(a), Inet(b)]) => Bool(a.within(b, false)),
        ("network_subeq", [Inet(a), Inet(b)]) => Bool(a.within(b, true)),
        ("network_sup", [Inet(a), Inet(b)]) => Bool(b.within(a, false)),
        ("network_supeq", [Inet(a), Inet(b)]) => Bool(b.within(a, true)),
        ("network_overlap", [Inet(a), Inet(b)]) => Bool(a.overlaps(b)),
        ("inet_same_family", [Inet(a), Inet(b)]) => Bool(a.v6 == b.v6),
        ("network_cmp", [Inet(a), Inet(b)]) => Int4(a.compare(b) as i32),
        ("network_larger", [Inet(a), Inet(b)]) => inet(if a.compare(b).is_ge() { *a } else { *b }),
        ("network_smaller", [Inet(a), Inet(b)]) => inet(if a.compare(b).is_le() { *a } else { *b }),
        ("inetnot", [Inet(a)]) => Inet(a.not()),
        ("inetand", [Inet(a), Inet(b)]) => Inet(a.bitwise(b, true)?),
        ("inetor", [Inet(a), Inet(b)]) => Inet(a.bitwise(b, false)?),
        ("inetpl", [Inet(a), Int8(n)]) | ("int8pl_inet", [Int8(n), Inet(a)]) => Inet(a.add(*n)?),
        ("inetmi_int8", [Inet(a), Int8(n)]) => match n.checked_neg() {
            Some(m) => Inet(a.add(m)?),
            // -i64::MIN: one more than the largest addend
            None => Inet(a.add(i64::MAX)?.add(1)?),
        },
        ("inetmi", [Inet(a), Inet(b)]) => Int8(a.diff(b)?),
        ("inet_abbrev", [Inet(a)]) => Text(InetValue { cidr: false, ..*a }.abbrev()),
        ("cidr_abbrev", [Inet(a)]) => Text(InetValue { cidr: true, ..*a }.abbrev()),
        ("network_broadcast", [Inet(a)]) => Inet(a.broadcast()),
        ("network_family", [Inet(a)]) => Int4(if a.v6 { 6 } else { 4 }),
        ("network_host", [Inet(a)]) => Text(a.address_text()),
        ("network_hostmask", [Inet(a)]) => Inet(a.hostmask()),
        ("network_masklen", [Inet(a)]) => Int4(i32::from(a.bits)),
        ("network_netmask", [Inet(a)]) => Inet(a.netmask()),
        ("network_network", [Inet(a)]) => Inet(a.network()),
        ("inet_set_masklen", [Inet(a), Int4(n)]) => inet(a.set_masklen(*n)?),
        ("cidr_set_masklen", [Inet(a), Int4(n)]) => {
            Inet(InetValue { cidr: true, ..*a }.set_masklen(*n)?)
        }
        ("inet_merge", [Inet(a), Inet(b)]) => Inet(a.merge(b)?),
        _ => return Ok(None),
    }))
}
