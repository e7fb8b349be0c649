//! `xid8` and snapshot functions (PostgreSQL's `xid8funcs.c`):
//! `pg_current_xact_id()`, `pg_xact_status()`, `pg_current_snapshot()`
//! and what reads a snapshot, with the older `txid_*` names over
//! `bigint` and `txid_snapshot`. Transaction ids here are 64-bit, so an
//! `xid8` is the id itself.

use types::datum::snapshot::SnapshotValue;
use types::{Datum, PgError, PgResult};

use crate::expr::Evaluator;

/// An `xid8` argument, or a `txid_*` function's `bigint` taken as one.
fn xid_arg(d: &Datum) -> Option<u64> {
    match d {
        Datum::Xid8(x) => Some(*x),
        Datum::Int8(x) => Some(*x as u64),
        _ => None,
    }
}

/// The value of `xid` as the function's result type: `xid8`, or `bigint`
/// for the `txid_*` ones.
fn xid_result(xid: u64, ret: u32) -> Datum {
    if ret == types::oid::INT8 {
        Datum::Int8(xid as i64)
    } else {
        Datum::Xid8(xid)
    }
}

pub fn call(
    func: &str,
    args: &[Datum],
    ret: u32,
    ev: &mut Evaluator<'_>,
) -> PgResult<Option<Datum>> {
    Ok(Some(match (func, args) {
        ("xid8cmp", [Datum::Xid8(a), Datum::Xid8(b)]) => Datum::Int4(a.cmp(b) as i32),
        ("xid", [Datum::Xid8(x)]) => Datum::Xid(*x as u32),
        ("pg_current_xact_id", []) => match ev.ctx.current_xid(true)? {
            Some(x) => Datum::Xid8(x),
            None => Datum::Null,
        },
        ("pg_current_xact_id_if_assigned", []) => match ev.ctx.current_xid(false)? {
            Some(x) => Datum::Xid8(x),
            None => Datum::Null,
        },
        ("pg_xact_status", [x]) => {
            let xid = xid_arg(x).ok_or_else(|| PgError::internal("pg_xact_status of a non-xid"))?;
            ev.ctx
                .xact_status(xid)?
                .map_or(Datum::Null, |s| Datum::Text(s.to_owned()))
        }
        ("pg_current_snapshot", []) => Datum::Snapshot(Box::new(ev.ctx.current_snapshot()?)),
        ("snapshot_xmin", [Datum::Snapshot(s)]) => xid_result(s.xmin, ret),
        ("snapshot_xmax", [Datum::Snapshot(s)]) => xid_result(s.xmax, ret),
        ("visible_in_snapshot", [x, Datum::Snapshot(s)]) => {
            let xid =
                xid_arg(x).ok_or_else(|| PgError::internal("visible_in_snapshot of a non-xid"))?;
            Datum::Bool(s.sees(xid))
        }
        _ => return Ok(None),
    }))
}

/// The running xids of a snapshot (`pg_snapshot_xip`, `txid_snapshot_xip`),
/// as the function's element type.
pub fn xip(snapshot: &SnapshotValue, ret: u32) -> Vec<Datum> {
    snapshot.xip.iter().map(|x| xid_result(*x, ret)).collect()
}
