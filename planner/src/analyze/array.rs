//! Array expressions (PostgreSQL's `parse_expr.c` / `parse_node.c` array
//! parts): `ARRAY[...]`, subscripts and slices, `op ANY / ALL (array)`, and
//! the array functions whose argument types depend on each other (`anyarray`,
//! `anyelement`), resolved here rather than from the fixed signatures of
//! the function catalog.

use sqlparser::ast::{self, Spanned};
use types::oid::{self, INT2, INT4, INT8, JSONB, TEXT, TEXT_ARRAY, UNKNOWN};
use types::{PgError, PgResult, SqlState};

use super::Analyzer;
use super::coerce::select_common_type;
use crate::expr::Expr;

use crate::expr::call;

/// Between a column's name and the text of its subscripts in an
/// assignment target (`SET a[1][2:3] = ...`, `INSERT INTO t (a[1]) ...`),
/// which sqlparser cannot read: the raw parser (`backend::syntax`) folds
/// the target into one quoted name `a<mark>[1][2:3]`, and the analyzer
/// reads the subscripts back. A quoted name cannot hold it otherwise.
pub const SUBSCRIPT_MARK: char = '\u{1}';

/// An assignment target's column name and the text of its subscripts, if
/// the raw parser marked any.
pub fn split_subscripted(name: &str) -> (&str, Option<&str>) {
    match name.split_once(SUBSCRIPT_MARK) {
        Some((column, subscripts)) => (column, Some(subscripts)),
        None => (name, None),
    }
}

impl Analyzer<'_> {
    /// `ARRAY[e, ...]`: the elements' common type; `ARRAY[]` needs a cast.
    pub(crate) fn array_constructor(
        &mut self,
        a: &ast::Array,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        if a.elem.is_empty() {
            return Err(PgError::new(
                SqlState::IndeterminateDatatype,
                "cannot determine type of empty array",
            )
            .with_hint("Explicitly cast to the desired type, for example ARRAY[]::integer[].")
            .or_position(pos));
        }
        let elems = self.array_elements(a)?;
        self.array_of_elements(elems, pos)
    }

    fn array_elements(&mut self, a: &ast::Array) -> PgResult<Vec<(Expr, Option<usize>)>> {
        let mut elems = Vec::new();
        for e in &a.elem {
            let p = self.pos(e.span());
            elems.push((self.transform(e)?, p));
        }
        Ok(elems)
    }

    /// `ARRAY[...]::type[]`: as PostgreSQL, the cast's element type is the
    /// array's, each element cast to it (`ARRAY['(0,1)']::tid[]` is an
    /// array of tids, not of text cast afterwards); the caller still
    /// applies the cast's typmod. An array of arrays is built as without
    /// the cast.
    pub(crate) fn array_constructor_cast(
        &mut self,
        a: &ast::Array,
        array_type: u32,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let elems = self.array_elements(a)?;
        let Some(elem) = oid::element_of(array_type)
            .filter(|_| !elems.iter().any(|(x, _)| oid::is_array_type(x.type_oid())))
        else {
            return self.array_of_elements(elems, pos);
        };
        let mut args = Vec::new();
        for (x, p) in elems {
            args.push(self.coerce(x, elem, -1, true, p)?);
        }
        Ok(call("array", args, array_type, false))
    }

    pub(crate) fn array_of_elements(
        &mut self,
        elems: Vec<(Expr, Option<usize>)>,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let types: Vec<(u32, Option<usize>)> =
            elems.iter().map(|(x, p)| (x.type_oid(), *p)).collect();
        let t = match select_common_type(&types, "ARRAY")? {
            UNKNOWN => TEXT,
            t => t,
        };
        // `ARRAY[[1,2],[3,4]]`, `ARRAY[a, b]` of arrays: one more dimension
        // over sub-arrays of one shape.
        if oid::is_array_type(t) {
            let mut args = Vec::new();
            for (x, p) in elems {
                args.push(self.coerce(x, t, -1, false, p)?);
            }
            return Ok(call("array_stack", args, t, false));
        }
        let Some(array_type) = oid::array_of(t) else {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!(
                    "could not find array type for data type {}",
                    oid::type_name(t)
                ),
            )
            .or_position(pos));
        };
        let mut args = Vec::new();
        for (x, p) in elems {
            args.push(self.coerce(x, t, -1, false, p)?);
        }
        Ok(call("array", args, array_type, false))
    }

    /// `a[i]` and `a[i:j]` (one subscript: arrays have one dimension here).
    pub(crate) fn array_subscript(
        &mut self,
        root: &ast::Expr,
        chain: &[ast::AccessExpr],
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let a = super::domain::strip_domain(self.transform(root)?);
        // `indkey[0]`: an int2vector is an int2[] from 0.
        let a = self.vector_as_array(a)?;
        if a.type_oid() == JSONB {
            return self.jsonb_subscript(a, chain);
        }
        // `typname[0]`: a name is a fixed array of 64 "char"s in PostgreSQL.
        if a.type_oid() == oid::NAME
            && let [ast::AccessExpr::Subscript(ast::Subscript::Index { index })] = chain
        {
            let p = self.pos(index.span());
            let x = self.transform(index)?;
            let i = self.coerce(x, INT4, -1, false, p)?;
            return Ok(call("name_subscript", vec![a, i], oid::CHAR, true));
        }
        // `p[0]`: a point is a fixed array of two float8 (from 0), a line
        // of three, a lseg and a box of two points.
        let fixed = match a.type_oid() {
            oid::POINT | oid::LINE => Some(oid::FLOAT8),
            oid::LSEG | oid::BOX => Some(oid::POINT),
            _ => None,
        };
        if let Some(elem) = fixed
            && let [ast::AccessExpr::Subscript(ast::Subscript::Index { index })] = chain
        {
            let p = self.pos(index.span());
            let x = self.transform(index)?;
            let i = self.coerce(x, INT4, -1, false, p)?;
            return Ok(call("geo_subscript", vec![a, i], elem, true));
        }
        let Some(elem) = oid::element_of(a.type_oid()) else {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "cannot subscript type {} because it does not support subscripting",
                    oid::type_name(a.type_oid())
                ),
            )
            .or_position(pos));
        };
        let mut subs = Vec::with_capacity(chain.len());
        for access in chain {
            let ast::AccessExpr::Subscript(sub) = access else {
                return Err(
                    PgError::feature_not_supported("field selection after a subscript")
                        .or_position(pos),
                );
            };
            subs.push(sub);
        }
        if subs.len() > types::datum::array::MAX_DIMS {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                format!(
                    "number of array dimensions ({}) exceeds the maximum allowed ({})",
                    subs.len(),
                    types::datum::array::MAX_DIMS
                ),
            )
            .or_position(pos));
        }
        let int = |a: &mut Analyzer<'_>, e: &ast::Expr| -> PgResult<Expr> {
            let p = a.pos(e.span());
            let x = a.transform(e)?;
            a.coerce(x, INT4, -1, false, p).map_err(|_| {
                PgError::new(
                    SqlState::DatatypeMismatch,
                    "array subscript must have type integer",
                )
                .or_position(p)
            })
        };
        let type_oid = a.type_oid();
        let mut args = vec![a];
        // As in PostgreSQL, one slice makes every subscript a slice, a
        // lone `i` being `1:i`.
        let slice = subs
            .iter()
            .any(|s| matches!(s, ast::Subscript::Slice { .. }));
        // Of a slice, bit 2k says that dimension k's lower bound is
        // written, bit 2k + 1 its upper one (an omitted bound is the
        // array's own; a NULL one makes the slice NULL).
        let mut given = 0i32;
        for (k, sub) in subs.into_iter().enumerate() {
            match sub {
                ast::Subscript::Index { index } if !slice => args.push(int(self, index)?),
                ast::Subscript::Index { index } => {
                    args.push(Expr::Const {
                        value: types::Datum::Int4(1),
                        type_oid: INT4,
                    });
                    args.push(int(self, index)?);
                    given |= 3 << (2 * k);
                }
                ast::Subscript::Slice {
                    lower_bound,
                    upper_bound,
                    stride: None,
                } => {
                    for (j, bound) in [lower_bound, upper_bound].into_iter().enumerate() {
                        args.push(match bound {
                            Some(e) => {
                                given |= 1 << (2 * k + j);
                                int(self, e)?
                            }
                            None => Expr::null(INT4),
                        });
                    }
                }
                ast::Subscript::Slice { .. } => {
                    return Err(PgError::feature_not_supported("array slices with a stride")
                        .or_position(pos));
                }
            }
        }
        if slice {
            args.insert(
                1,
                Expr::Const {
                    value: types::Datum::Int4(given),
                    type_oid: INT4,
                },
            );
            Ok(call("array_slice", args, type_oid, false))
        } else {
            Ok(call("array_subscript", args, elem, true))
        }
    }

    /// `SET a[i][j] = x`, `SET a[l:u] = array`, `INSERT INTO t (a[i]) ...`:
    /// `base` (the column's value, NULL for a new row) with the part the
    /// subscripts name replaced by `value`. `subscripts` is their text
    /// (see [`SUBSCRIPT_MARK`]); `typmod` is the column's, which its
    /// elements take.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assign_subscripts(
        &mut self,
        base: Expr,
        owner: &str,
        typmod: i32,
        subscripts: &str,
        value: Expr,
        pos: Option<usize>,
        vpos: Option<usize>,
    ) -> PgResult<Expr> {
        let text = format!("x{subscripts}");
        let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_expr())
            .map_err(|_| PgError::syntax("syntax error at or near \"[\"", pos))?;
        let ast::Expr::CompoundFieldAccess { access_chain, .. } = parsed else {
            return Err(PgError::syntax("syntax error at or near \"[\"", pos));
        };
        let t = base.type_oid();
        let elem = match oid::element_of(t) {
            Some(e) if oid::is_array_type(t) => e,
            _ => {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!(
                        "cannot subscript type {} because it does not support subscripting",
                        oid::type_name(t)
                    ),
                )
                .or_position(pos));
            }
        };
        let mut subs = Vec::with_capacity(access_chain.len());
        for access in &access_chain {
            let ast::AccessExpr::Subscript(sub) = access else {
                return Err(PgError::feature_not_supported(
                    "assignment to a field after a subscript",
                )
                .or_position(pos));
            };
            subs.push(sub);
        }
        let slice = subs
            .iter()
            .any(|s| matches!(s, ast::Subscript::Slice { .. }));
        let target = if slice { t } else { elem };
        let vt = value.type_oid();
        if vt != UNKNOWN && vt != target && !super::coerce::can_coerce_assignment(vt, target) {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "subscripted assignment to \"{owner}\" requires type {} but expression is of type {}",
                    oid::type_name(target),
                    oid::type_name(vt)
                ),
            )
            .with_hint("You will need to rewrite or cast the expression.")
            .or_position(pos));
        }
        let value = self.coerce(value, target, typmod, true, vpos)?;
        let int = |a: &mut Analyzer<'_>, e: &ast::Expr| -> PgResult<Expr> {
            let x = a.transform(e)?;
            a.coerce(x, INT4, -1, false, pos).map_err(|_| {
                PgError::new(
                    SqlState::DatatypeMismatch,
                    "array subscript must have type integer",
                )
                .or_position(pos)
            })
        };
        let mut bounds = Vec::new();
        // Bit 2k: dimension k's lower bound is written; bit 2k + 1: its
        // upper one.
        let mut given = 0i32;
        for (k, sub) in subs.iter().enumerate() {
            match sub {
                ast::Subscript::Index { index } if !slice => bounds.push(int(self, index)?),
                ast::Subscript::Index { index } => {
                    bounds.push(Expr::Const {
                        value: types::Datum::Int4(1),
                        type_oid: INT4,
                    });
                    bounds.push(int(self, index)?);
                    given |= 3 << (2 * k);
                }
                ast::Subscript::Slice {
                    lower_bound,
                    upper_bound,
                    stride: None,
                } => {
                    for (j, bound) in [lower_bound, upper_bound].into_iter().enumerate() {
                        bounds.push(match bound {
                            Some(e) => {
                                given |= 1 << (2 * k + j);
                                int(self, e)?
                            }
                            None => Expr::null(INT4),
                        });
                    }
                }
                ast::Subscript::Slice { .. } => {
                    return Err(PgError::feature_not_supported("array slices with a stride")
                        .or_position(pos));
                }
            }
        }
        let mut args = vec![base, value];
        if slice {
            args.push(Expr::Const {
                value: types::Datum::Int4(given),
                type_oid: INT4,
            });
            args.extend(bounds);
            Ok(call("array_assign_slice", args, t, false))
        } else {
            args.extend(bounds);
            Ok(call("array_assign", args, t, false))
        }
    }

    /// An assignment to part of a column (of type modifier `typmod`): a
    /// field path (`c.f.g`) or the subscripts the raw parser marked.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assign_part(
        &mut self,
        base: Expr,
        owner: &str,
        typmod: i32,
        path: &[String],
        value: Expr,
        pos: Option<usize>,
        vpos: Option<usize>,
    ) -> PgResult<Expr> {
        match path.first().and_then(|p| p.strip_prefix(SUBSCRIPT_MARK)) {
            Some(subscripts) => {
                let subscripts = subscripts.to_string();
                self.assign_subscripts(base, owner, typmod, &subscripts, value, pos, vpos)
            }
            None => self.assign_field(base, owner, path, value, pos, vpos),
        }
    }

    /// `j['a'][0]`: jsonb subscripts read the path of their values (as
    /// `#>` does), each an integer or text.
    fn jsonb_subscript(&mut self, j: Expr, chain: &[ast::AccessExpr]) -> PgResult<Expr> {
        let mut path = Vec::with_capacity(chain.len());
        for access in chain {
            let ast::AccessExpr::Subscript(ast::Subscript::Index { index }) = access else {
                // PostgreSQL reports no position here.
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    "jsonb subscript does not support slices",
                ));
            };
            let p = self.pos(index.span());
            let x = self.transform(index)?;
            let x = match x.type_oid() {
                INT2 | INT4 | INT8 | UNKNOWN => self.coerce(x, TEXT, -1, true, p)?,
                t if oid::is_string_type(t) => self.coerce(x, TEXT, -1, false, p)?,
                t => {
                    return Err(PgError::new(
                        SqlState::DatatypeMismatch,
                        format!("subscript type {} is not supported", oid::type_name(t)),
                    )
                    .with_hint("jsonb subscript must be coercible to either integer or text.")
                    .or_position(p));
                }
            };
            path.push(x);
        }
        let path = call("array", path, TEXT_ARRAY, false);
        Ok(call("jsonb_extract_path", vec![j, path], JSONB, true))
    }

    /// `left op ANY (array)` / `left op ALL (array)`; a subquery on the
    /// right of `= ANY` is `IN (subquery)`.
    pub(crate) fn scalar_array_op(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        any: bool,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let sym = match op {
            ast::BinaryOperator::Eq => "=",
            ast::BinaryOperator::NotEq => "<>",
            ast::BinaryOperator::Lt => "<",
            ast::BinaryOperator::LtEq => "<=",
            ast::BinaryOperator::Gt => ">",
            ast::BinaryOperator::GtEq => ">=",
            ast::BinaryOperator::PGLikeMatch => "~~",
            ast::BinaryOperator::PGILikeMatch => "~~*",
            ast::BinaryOperator::PGRegexMatch => "~",
            ast::BinaryOperator::PGNotLikeMatch => "!~~",
            ast::BinaryOperator::PGNotILikeMatch => "!~~*",
            other => {
                return Err(PgError::feature_not_supported(format!(
                    "operator {other} with ANY/ALL"
                ))
                .or_position(pos));
            }
        };
        if let ast::Expr::Subquery(q) = right {
            if any && sym == "=" {
                return self.in_subquery(left, q);
            }
            return Err(PgError::feature_not_supported("ANY/ALL (subquery)").or_position(pos));
        }
        let lpos = self.pos(left.span());
        let l = self.transform(left)?;
        let rpos = self.pos(right.span());
        // `x = ANY(partclass)`: an oidvector or int2vector is an array.
        let r = super::domain::strip_domain(self.transform(right)?);
        let mut r = self.vector_as_array(r)?;
        if r.type_oid() == UNKNOWN {
            // An untyped literal is an array of the left side's type.
            let lt = match l.type_oid() {
                UNKNOWN => TEXT,
                t => t,
            };
            if let Some(at) = oid::array_of(lt) {
                r = self.coerce(r, at, -1, false, rpos)?;
            }
        }
        let Some(elem) = oid::element_of(r.type_oid()) else {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                "op ANY/ALL (array) requires array on right side",
            )
            .or_position(pos));
        };
        let var = |index, type_oid| Expr::Var {
            index,
            type_oid,
            typmod: -1,
        };
        let test =
            self.make_op_exprs(sym, (var(0, l.type_oid()), lpos), (var(1, elem), None), pos)?;
        if test.type_oid() != types::oid::BOOL {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                "op ANY/ALL (array) requires operator to yield boolean",
            )
            .or_position(pos));
        }
        Ok(Expr::ScalarArrayOp {
            any,
            left: Box::new(l),
            right: Box::new(r),
            test: Box::new(test),
        })
    }

    /// The polymorphic array functions (`anyarray` / `anyelement`
    /// arguments). None if `name` is not one of them.
    pub(crate) fn array_function(
        &mut self,
        name: &str,
        args: &[(Expr, Option<usize>)],
        pos: Option<usize>,
    ) -> PgResult<Option<Expr>> {
        let is_array = |x: &Expr| oid::element_of(x.type_oid()).is_some();
        let undefined = || {
            let sig: Vec<&str> = args
                .iter()
                .map(|(a, _)| oid::type_name(a.type_oid()))
                .collect();
            PgError::new(
                SqlState::UndefinedFunction,
                format!("function {name}({}) does not exist", sig.join(", ")),
            )
            .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
            .or_position(pos)
        };
        let a0 = args.first().map(|(a, _)| a);
        let expr = match (name, args.len()) {
            ("array_length" | "array_upper" | "array_lower", 2) => {
                let (a, i) = (&args[0], &args[1]);
                if !is_array(&a.0) {
                    return Ok(None);
                }
                let i = self.coerce(i.0.clone(), INT4, -1, false, i.1)?;
                let imp = match name {
                    "array_length" => "array_length",
                    "array_upper" => "array_upper",
                    _ => "array_lower",
                };
                call(imp, vec![a.0.clone(), i], INT4, true)
            }
            ("cardinality", 1) if a0.is_some_and(is_array) => {
                call("cardinality", vec![args[0].0.clone()], INT4, true)
            }
            ("array_ndims", 1) if a0.is_some_and(is_array) => {
                call("array_ndims", vec![args[0].0.clone()], INT4, true)
            }
            ("array_dims", 1) if a0.is_some_and(is_array) => {
                call("array_dims", vec![args[0].0.clone()], TEXT, true)
            }
            ("array_to_string", 2 | 3) if a0.is_some_and(is_array) => {
                let mut out = vec![args[0].0.clone()];
                for (x, p) in &args[1..] {
                    out.push(self.coerce(x.clone(), TEXT, -1, false, *p)?);
                }
                call("array_to_string", out, TEXT, false)
            }
            ("string_to_array", 2 | 3) => {
                let mut out = Vec::new();
                for (x, p) in args {
                    if !(x.type_oid() == UNKNOWN || oid::is_string_type(x.type_oid())) {
                        return Err(undefined());
                    }
                    out.push(self.coerce(x.clone(), TEXT, -1, false, *p)?);
                }
                call("string_to_array", out, types::oid::TEXT_ARRAY, false)
            }
            // array_remove(NULL, 1): an untyped array takes the element's
            // array type.
            ("array_remove" | "array_positions" | "array_position" | "array_replace", 2..=3)
                if args[0].0.type_oid() == UNKNOWN
                    && args[1].0.type_oid() != UNKNOWN
                    && oid::array_of(args[1].0.type_oid()).is_some() =>
            {
                let mut args = args.to_vec();
                let at = oid::array_of(args[1].0.type_oid()).unwrap_or(TEXT_ARRAY);
                args[0].0 = self.coerce(args[0].0.clone(), at, -1, false, args[0].1)?;
                return self.array_function(name, &args, pos);
            }
            ("array_positions", 2) | ("array_position", 3) | ("array_replace", 3) => {
                let arr = &args[0];
                let Some(elem) = oid::element_of(arr.0.type_oid()) else {
                    return Err(undefined());
                };
                let mut out = vec![arr.0.clone()];
                out.push(self.coerce(args[1].0.clone(), elem, -1, false, args[1].1)?);
                let (imp, t) = match name {
                    "array_positions" => ("array_positions", oid::INT4_ARRAY),
                    "array_position" => {
                        out.push(self.coerce(args[2].0.clone(), INT4, -1, false, args[2].1)?);
                        ("array_position", INT4)
                    }
                    _ => {
                        out.push(self.coerce(args[2].0.clone(), elem, -1, false, args[2].1)?);
                        ("array_replace", arr.0.type_oid())
                    }
                };
                call(imp, out, t, false)
            }
            // width_bucket(operand, thresholds): the operand and the
            // thresholds' elements take one common type.
            ("width_bucket", 2) => {
                let (x, t) = (&args[0], &args[1]);
                let thresholds = match t.0.type_oid() {
                    UNKNOWN => oid::array_of(x.0.type_oid()).unwrap_or(UNKNOWN),
                    other => other,
                };
                let elem = match oid::element_of(thresholds) {
                    Some(e) if x.0.type_oid() == UNKNOWN || x.0.type_oid() == e => e,
                    Some(e) => select_common_type(&[(x.0.type_oid(), None), (e, None)], "")
                        .map_err(|_| undefined())?,
                    None => return Err(undefined()),
                };
                let at = oid::array_of(elem).ok_or_else(undefined)?;
                let x = self.coerce(x.0.clone(), elem, -1, false, x.1)?;
                let t = self.coerce(t.0.clone(), at, -1, false, t.1)?;
                call("width_bucket", vec![x, t], INT4, true)
            }
            ("trim_array", 2) if a0.is_some_and(is_array) => {
                let n = self.coerce(args[1].0.clone(), INT4, -1, false, args[1].1)?;
                call(
                    "trim_array",
                    vec![args[0].0.clone(), n],
                    args[0].0.type_oid(),
                    true,
                )
            }
            ("array_fill", 2 | 3) => {
                let v = match args[0].0.type_oid() {
                    UNKNOWN => {
                        return Err(PgError::new(
                            SqlState::DatatypeMismatch,
                            "could not determine polymorphic type because input has type unknown",
                        )
                        .or_position(pos));
                    }
                    _ => args[0].0.clone(),
                };
                let Some(at) = oid::array_of(v.type_oid()) else {
                    return Err(undefined());
                };
                let mut out = vec![v];
                for (x, p) in &args[1..] {
                    if x.type_oid() != UNKNOWN && x.type_oid() != oid::INT4_ARRAY {
                        return Err(undefined());
                    }
                    out.push(self.coerce(x.clone(), oid::INT4_ARRAY, -1, false, *p)?);
                }
                call("array_fill", out, at, false)
            }
            ("array_append" | "array_prepend" | "array_position" | "array_remove", 2) => {
                let (arr, el) = if name == "array_prepend" {
                    (&args[1], &args[0])
                } else {
                    (&args[0], &args[1])
                };
                let Some(elem) = oid::element_of(arr.0.type_oid()) else {
                    return Err(undefined());
                };
                let el = self.coerce(el.0.clone(), elem, -1, false, el.1)?;
                let (imp, t, strict) = match name {
                    "array_append" => ("array_append", arr.0.type_oid(), false),
                    "array_prepend" => ("array_prepend", arr.0.type_oid(), false),
                    "array_position" => ("array_position", INT4, false),
                    _ => ("array_remove", arr.0.type_oid(), false),
                };
                let args = if name == "array_prepend" {
                    vec![el, arr.0.clone()]
                } else {
                    vec![arr.0.clone(), el]
                };
                call(imp, args, t, strict)
            }
            ("array_cat", 2) => {
                let t = args[0].0.type_oid();
                if !is_array(&args[0].0) {
                    return Err(undefined());
                }
                let b = self.coerce(args[1].0.clone(), t, -1, false, args[1].1)?;
                call("array_cat", vec![args[0].0.clone(), b], t, false)
            }
            _ => return Ok(None),
        };
        Ok(Some(expr))
    }
}
