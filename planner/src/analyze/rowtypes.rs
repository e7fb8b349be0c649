//! Composite values in expressions (PostgreSQL's `transformRowExpr`,
//! `transformWholeRowRef`, field selection and `make_row_comparison_op`):
//!
//! - `ROW(a, b)`, `(a, b)`, `ROW()`, `ROW(x)` and a whole-row reference
//!   (`t`, `t.*`) are an [`Expr::Row`] of type `record`, its fields named
//!   `f1`, `f2`, ... (a whole row: after the columns);
//! - `ROW(...)::t` (and assignment to a column of type `t`) coerces each
//!   field to the type's field and gives the row the type `t`;
//! - `(x).f` is the field itself when `x` is a row constructor, else a
//!   `record_field` call reading field `i` of the value at run time;
//! - a comparison of two row constructors compares them field by field
//!   (`=`: all equal, `<>`: one differs, `<` ...: the first pair that is
//!   not equal decides), NULL-propagating as PostgreSQL's RowCompareExpr;
//!   any other comparison of composite values is `record_eq` and friends
//!   (the generic comparisons over [`types::compare`]: NULL fields equal
//!   each other and sort last).

use std::sync::Arc;

use sqlparser::ast::{self, Spanned};

use types::datum::RecordField;
use types::datum::record::{fields_of, is_composite};
use types::oid::{self, BOOL, INT4, RECORD, TEXT, UNKNOWN};
use types::{Datum, PgError, PgResult, SqlState};

use super::Analyzer;
use crate::expr::Expr;

/// An anonymous row of `args`, fields named as PostgreSQL names them.
pub(crate) fn make_row(args: Vec<Expr>) -> Expr {
    let fields: Vec<RecordField> = args
        .iter()
        .enumerate()
        .map(|(i, a)| RecordField {
            name: format!("f{}", i + 1),
            type_oid: match a.type_oid() {
                UNKNOWN => TEXT,
                t => t,
            },
            typmod: a.typmod(),
        })
        .collect();
    Expr::Row {
        args,
        fields: fields.into(),
        type_oid: RECORD,
    }
}

impl Analyzer<'_> {
    /// The fields of a composite-typed expression, if known at analysis.
    fn fields_of_expr(x: &Expr) -> Option<Arc<[RecordField]>> {
        match x {
            Expr::Row { fields, .. } => Some(fields.clone()),
            // A whole row of an outer join's nullable side.
            Expr::Case { else_result, .. } if matches!(**else_result, Expr::Row { .. }) => {
                Self::fields_of_expr(else_result)
            }
            _ if x.type_oid() == RECORD => types::typcache::record_fields(x.typmod()),
            _ => fields_of(x.type_oid()),
        }
    }

    /// `(x).*` as a select-list item (the `*` a quoted identifier, see
    /// `backend::syntax`): x's fields as columns; None for any other item.
    pub(crate) fn field_star_targets(
        &mut self,
        e: &ast::Expr,
    ) -> PgResult<Option<Vec<(String, super::Target)>>> {
        let ast::Expr::CompoundFieldAccess { root, access_chain } = e else {
            return Ok(None);
        };
        let Some((ast::AccessExpr::Dot(ast::Expr::Identifier(id)), rest)) =
            access_chain.split_last()
        else {
            return Ok(None);
        };
        if id.value != "*" || id.quote_style != Some('"') {
            return Ok(None);
        }
        let base_ast = if rest.is_empty() {
            (**root).clone()
        } else {
            ast::Expr::CompoundFieldAccess {
                root: root.clone(),
                access_chain: rest.to_vec(),
            }
        };
        let pos = self.pos(e.span());
        self.var_positions.clear();
        let base = self.transform(&base_ast)?;
        self.var_positions.clear();
        let t = base.type_oid();
        let Some(fields) = Self::fields_of_expr(&base) else {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                if t == RECORD {
                    "record type has not been registered".to_string()
                } else {
                    format!("type {} is not composite", oid::type_name(t))
                },
            )
            .or_position(pos));
        };
        let mut out = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let expr = match &base {
                Expr::Row { args, .. } => args[i].clone(),
                _ => Expr::Call {
                    func: "record_field",
                    args: vec![
                        base.clone(),
                        Expr::Const {
                            value: Datum::Int4(i as i32),
                            type_oid: INT4,
                        },
                    ],
                    type_oid: f.type_oid,
                    strict: true,
                },
            };
            let n = super::from::var_count(&expr);
            out.push((
                f.name.clone(),
                super::Target {
                    expr,
                    var_positions: vec![pos; n],
                },
            ));
        }
        Ok(Some(out))
    }

    /// `SET col.f.g = value`: the composite value `base` (of column or
    /// field `owner`) with the field at `path` replaced by `value`
    /// (assignment-coerced); a NULL base gives NULL other fields.
    pub(crate) fn assign_field(
        &mut self,
        base: Expr,
        owner: &str,
        path: &[String],
        value: Expr,
        pos: Option<usize>,
        vpos: Option<usize>,
    ) -> PgResult<Expr> {
        let t = base.type_oid();
        let Some(((name, rest), fields)) = path.split_first().zip(fields_of(t)) else {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "cannot assign to field \"{}\" of column \"{owner}\" because its type {} is not a composite type",
                    path.first().map_or("", |p| p.as_str()),
                    oid::type_name(t)
                ),
            )
            .or_position(pos));
        };
        let Some(i) = fields.iter().position(|f| f.name == *name) else {
            return Err(PgError::new(
                SqlState::UndefinedColumn,
                format!(
                    "cannot assign to field \"{name}\" of column \"{owner}\" because there is no such column in data type {}",
                    oid::type_name(t)
                ),
            )
            .or_position(pos));
        };
        let field = |base: &Expr, j: usize| Expr::Call {
            func: "record_field",
            args: vec![
                base.clone(),
                Expr::Const {
                    value: Datum::Int4(j as i32),
                    type_oid: INT4,
                },
            ],
            type_oid: fields[j].type_oid,
            strict: true,
        };
        let f = &fields[i];
        let new = if rest.is_empty() {
            let vt = value.type_oid();
            if vt != UNKNOWN
                && vt != f.type_oid
                && !super::coerce::can_coerce_assignment(vt, f.type_oid)
                && !matches!(value, Expr::Row { .. })
            {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!(
                        "subfield \"{name}\" is of type {} but expression is of type {}",
                        oid::format_type(f.type_oid, f.typmod),
                        oid::type_name(vt)
                    ),
                )
                .with_hint("You will need to rewrite or cast the expression.")
                .or_position(pos));
            }
            self.coerce(value, f.type_oid, f.typmod, true, vpos)?
        } else {
            self.assign_field(field(&base, i), name, rest, value, pos, vpos)?
        };
        let args = (0..fields.len())
            .map(|j| if j == i { new.clone() } else { field(&base, j) })
            .collect();
        Ok(Expr::Row {
            args,
            fields: fields.clone(),
            type_oid: t,
        })
    }

    /// `(x).name`.
    pub(crate) fn field_select(
        &mut self,
        x: Expr,
        name: &str,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        // `(x).*` outside a select list: the row itself.
        if name == "*" {
            return Ok(x);
        }
        let t = x.type_oid();
        let Some(fields) = Self::fields_of_expr(&x) else {
            if t == RECORD {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("could not identify column \"{name}\" in record data type"),
                )
                .or_position(pos));
            }
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!(
                    "column notation .{name} applied to type {}, which is not a composite type",
                    oid::type_name(t)
                ),
            )
            .or_position(pos));
        };
        let Some(i) = fields.iter().position(|f| f.name == name) else {
            return Err(PgError::new(
                SqlState::UndefinedColumn,
                if t == RECORD {
                    format!("could not identify column \"{name}\" in record data type")
                } else {
                    format!(
                        "column \"{name}\" not found in data type {}",
                        oid::type_name(t)
                    )
                },
            )
            .or_position(pos));
        };
        if let Expr::Row { mut args, .. } = x {
            return Ok(args.swap_remove(i));
        }
        Ok(Expr::Call {
            func: "record_field",
            args: vec![
                x,
                Expr::Const {
                    value: Datum::Int4(i as i32),
                    type_oid: INT4,
                },
            ],
            type_oid: fields[i].type_oid,
            strict: true,
        })
    }

    /// Coerces a composite value `x` to composite type `to` (None if `x`
    /// or `to` is not composite): a row constructor field by field, a value
    /// of a named type to `record` as it is.
    pub(crate) fn coerce_composite(
        &mut self,
        x: Expr,
        to: u32,
        explicit: bool,
        pos: Option<usize>,
    ) -> PgResult<Result<Expr, Expr>> {
        let from = x.type_oid();
        if to == RECORD && is_composite(from) {
            return Ok(Ok(x));
        }
        let Some(target) = fields_of(to) else {
            return Ok(Err(x));
        };
        let Expr::Row {
            args,
            fields,
            type_oid,
        } = x
        else {
            return Ok(Err(x));
        };
        if type_oid != RECORD {
            return Ok(Err(Expr::Row {
                args,
                fields,
                type_oid,
            }));
        }
        let mismatch = |detail: String| {
            PgError::new(
                SqlState::CannotCoerce,
                format!("cannot cast type record to {}", oid::type_name(to)),
            )
            .with_detail(detail)
            .or_position(pos)
        };
        if args.len() > target.len() {
            return Err(mismatch("Input has too many columns.".into()));
        }
        if args.len() < target.len() {
            return Err(mismatch("Input has too few columns.".into()));
        }
        let mut out = Vec::with_capacity(args.len());
        for (i, (a, f)) in args.into_iter().zip(target.iter()).enumerate() {
            let at = a.type_oid();
            let ok = at == UNKNOWN
                || at == f.type_oid
                || if explicit {
                    super::coerce::can_coerce_explicit(at, f.type_oid)
                } else {
                    super::coerce::can_coerce_assignment(at, f.type_oid)
                };
            if !ok {
                return Err(mismatch(format!(
                    "Cannot cast type {} to {} in column {}.",
                    oid::type_name(at),
                    oid::format_type(f.type_oid, f.typmod),
                    i + 1
                )));
            }
            out.push(self.coerce(a, f.type_oid, f.typmod, true, pos)?);
        }
        // All constant: one constant of the type (`'(1,x)'::t`, as
        // PostgreSQL's constant folding makes it).
        if out.iter().all(|a| matches!(a, Expr::Const { .. })) {
            let values = out
                .into_iter()
                .map(|a| match a {
                    Expr::Const { value, .. } => value,
                    _ => Datum::Null,
                })
                .collect();
            return Ok(Ok(Expr::Const {
                value: Datum::Record(Box::new(types::datum::RecordValue {
                    type_oid: to,
                    fields: target,
                    values,
                })),
                type_oid: to,
            }));
        }
        Ok(Ok(Expr::Row {
            args: out,
            fields: target,
            type_oid: to,
        }))
    }

    /// `l IS DISTINCT FROM r`: of two row constructors, whether a pair of
    /// their fields is (PostgreSQL's `make_row_distinct_op`); of other
    /// composite values, whether they differ as `record_eq` compares them
    /// (NULL fields alike); else by the type's equality.
    pub(crate) fn distinct_from(
        &mut self,
        (l, lpos): (Expr, Option<usize>),
        (r, rpos): (Expr, Option<usize>),
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        if let (
            Expr::Row {
                args: la,
                type_oid: RECORD,
                ..
            },
            Expr::Row {
                args: ra,
                type_oid: RECORD,
                ..
            },
        ) = (&l, &r)
        {
            if la.len() != ra.len() {
                return Err(PgError::syntax(
                    "unequal number of entries in row expressions",
                    pos,
                ));
            }
            if la.is_empty() {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "cannot compare rows of zero length",
                )
                .or_position(pos));
            }
            let mut parts = Vec::with_capacity(la.len());
            for (a, b) in la.iter().zip(ra) {
                parts.push(self.distinct_from((a.clone(), lpos), (b.clone(), rpos), pos)?);
            }
            return Ok(if parts.len() == 1 {
                parts.pop().unwrap_or(Expr::null(BOOL))
            } else {
                Expr::Or(parts)
            });
        }
        let eq = if is_composite(l.type_oid()) || is_composite(r.type_oid()) {
            self.record_compare("=", "eq", (l, lpos), (r, rpos), pos)?
        } else {
            self.make_op_exprs("=", (l, lpos), (r, rpos), pos)?
        };
        let Expr::Call { func, mut args, .. } = eq else {
            return Err(PgError::internal("equality did not resolve to a call"));
        };
        let (Some(right), Some(left)) = (args.pop(), args.pop()) else {
            return Err(PgError::internal("missing operand"));
        };
        Ok(Expr::DistinctFrom {
            left: Box::new(left),
            right: Box::new(right),
            eq: func,
            negated: false,
        })
    }

    /// A comparison `sym` (implemented by `imp`: eq, ne, lt ...) with a
    /// composite operand.
    pub(crate) fn record_compare(
        &mut self,
        sym: &str,
        imp: &'static str,
        (l, lpos): (Expr, Option<usize>),
        (r, rpos): (Expr, Option<usize>),
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let (lt, rt) = (l.type_oid(), r.type_oid());
        if let (
            Expr::Row {
                args: la,
                type_oid: RECORD,
                ..
            },
            Expr::Row {
                args: ra,
                type_oid: RECORD,
                ..
            },
        ) = (&l, &r)
        {
            if la.len() != ra.len() {
                return Err(PgError::syntax(
                    "unequal number of entries in row expressions",
                    pos,
                ));
            }
            if la.is_empty() {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "cannot compare rows of zero length",
                )
                .or_position(pos));
            }
            let (la, ra) = (la.clone(), ra.clone());
            let pair = |this: &mut Self, op: &str, i: usize| {
                this.make_op_exprs(op, (la[i].clone(), lpos), (ra[i].clone(), rpos), pos)
            };
            let n = la.len();
            return Ok(match imp {
                "eq" | "ne" => {
                    let mut v = Vec::with_capacity(n);
                    for i in 0..n {
                        v.push(pair(self, if imp == "eq" { "=" } else { "<>" }, i)?);
                    }
                    match (v.len(), imp) {
                        (1, _) => v.pop().unwrap_or(Expr::null(BOOL)),
                        (_, "eq") => Expr::And(v),
                        _ => Expr::Or(v),
                    }
                }
                _ => {
                    // The first unequal pair decides: a1 < b1 OR (a1 = b1
                    // AND (a2 < b2 OR ...)), the last pair with `sym`.
                    let strict = match sym {
                        "<=" => "<",
                        ">=" => ">",
                        s => s,
                    };
                    let mut acc = pair(self, sym, n - 1)?;
                    for i in (0..n - 1).rev() {
                        let decide = pair(self, strict, i)?;
                        let eq = pair(self, "=", i)?;
                        acc = Expr::Or(vec![decide, Expr::And(vec![eq, acc])]);
                    }
                    acc
                }
            });
        }
        // One type for both sides: a named composite type if either is.
        let target = if lt != RECORD && is_composite(lt) {
            lt
        } else if rt != RECORD && is_composite(rt) {
            rt
        } else {
            RECORD
        };
        let side = |this: &mut Self, x: Expr, p: Option<usize>| -> PgResult<Expr> {
            let t = x.type_oid();
            if t == target {
                Ok(x)
            } else if t == UNKNOWN {
                // A literal is read as `record` (record = record), whose
                // input PostgreSQL does not implement either.
                this.coerce(x, RECORD, -1, false, p)
            } else if t == RECORD && matches!(x, Expr::Row { .. }) {
                this.coerce(x, target, -1, false, p)
            } else if is_composite(t) {
                // record op record: any two composite types, their
                // columns checked when the values are compared.
                Ok(x)
            } else {
                Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!(
                        "operator does not exist: {} {sym} {}",
                        oid::type_name(lt),
                        oid::type_name(rt)
                    ),
                )
                .with_hint(super::expr::OPER_HINT)
                .or_position(pos))
            }
        };
        let a = side(self, l, lpos)?;
        let b = side(self, r, rpos)?;
        Ok(Expr::Call {
            func: imp,
            args: vec![a, b],
            type_oid: BOOL,
            strict: true,
        })
    }
}
