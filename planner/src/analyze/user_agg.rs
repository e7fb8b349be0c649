//! Calls of user aggregates (CREATE AGGREGATE): the aggregate is chosen
//! among those of the name by its argument types (polymorphic ones
//! resolved from the call, `"any"` taking anything), and its support
//! functions are resolved by name for the concrete types of the call, as
//! expressions over the row `[state, args..]` that the executor evaluates
//! for each input (see `plan::UserAggregate`).

use std::sync::Arc;

use sqlparser::ast::{self, Spanned};
use types::oid::{self, *};
use types::{Datum, PgError, PgResult, SqlState};

use super::Analyzer;
use super::coerce::can_coerce_implicit;
use crate::catalog::AggregateDesc;
use crate::expr::Expr;
use crate::plan::UserAggregate;

const FUNC_HINT: &str = "No function matches the given name and argument types. You might need to add explicit type casts.";

impl Analyzer<'_> {
    /// The user aggregates the call `f` may name: none for a built-in
    /// aggregate's name (unqualified or in pg_catalog).
    pub(crate) fn user_aggregates(&self, f: &ast::Function) -> PgResult<Vec<Arc<AggregateDesc>>> {
        let parts = super::name_parts(&f.name);
        let (schema, name) = match parts.as_slice() {
            [n] => (None, n.as_str()),
            [s, n] if s == "pg_catalog" => (None, n.as_str()),
            [s, n] => (Some(s.as_str()), n.as_str()),
            _ => return Ok(Vec::new()),
        };
        if schema.is_none() && super::agg::is_aggregate(name) {
            return Ok(Vec::new());
        }
        self.catalog.lookup_aggregates(schema, name)
    }

    /// A user aggregate's call: its argument (None, the one, or a `Row` of
    /// several), result type and support functions.
    pub(crate) fn user_aggregate(
        &mut self,
        f: &ast::Function,
        list: &ast::FunctionArgumentList,
        pos: Option<usize>,
        nested: bool,
    ) -> PgResult<(Option<Expr>, u32, UserAggregate)> {
        let candidates = self.user_aggregates(f)?;
        let name = super::name_parts(&f.name).pop().unwrap_or_default();
        let star = matches!(
            list.args.as_slice(),
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
        );
        let mut args: Vec<(Expr, Option<usize>)> = Vec::new();
        if !star {
            for a in &list.args {
                let ast::FunctionArg::Unnamed(arg) = a else {
                    return Err(PgError::feature_not_supported(
                        "named arguments in aggregate calls",
                    )
                    .or_position(pos));
                };
                self.in_agg_arg = nested;
                let x = match arg {
                    ast::FunctionArgExpr::Expr(e) => {
                        let p = self.pos(e.span());
                        self.transform(e)
                            .map(|x| (super::domain::strip_domain(x), p))
                    }
                    ast::FunctionArgExpr::QualifiedWildcard(q) => {
                        let parts = super::name_parts(q);
                        match self.whole_row(&parts, pos) {
                            Ok(Some(row)) => Ok((row, pos)),
                            Ok(None) => Err(PgError::new(
                                SqlState::UndefinedTable,
                                format!(
                                    "missing FROM-clause entry for table \"{}\"",
                                    parts.join(".")
                                ),
                            )
                            .or_position(pos)),
                            Err(e) => Err(e),
                        }
                    }
                    _ => Err(PgError::syntax("syntax error at or near \"*\"", pos)),
                };
                self.in_agg_arg = false;
                args.push(x?);
            }
        }
        let actual: Vec<u32> = args.iter().map(|(x, _)| x.type_oid()).collect();
        let Some((desc, declared)) = choose(&candidates, &actual, star) else {
            let sig = if star {
                "*".to_string()
            } else {
                actual
                    .iter()
                    .map(|&t| oid::type_name(t).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("function {name}({sig}) does not exist"),
            )
            .with_hint(FUNC_HINT)
            .or_position(pos));
        };
        if !self.functions.contains(&desc.oid) {
            self.functions.push(desc.oid);
        }
        let state_type = concrete(&desc.arg_types, &declared, desc.transtype);
        if oid::is_polymorphic(state_type) {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "could not determine polymorphic type because input has type {}",
                    oid::type_name(UNKNOWN)
                ),
            )
            .or_position(pos));
        }
        let mut coerced = Vec::with_capacity(args.len());
        for ((x, p), &t) in args.into_iter().zip(&declared) {
            coerced.push(self.coerce(x, t, -1, false, p)?);
        }
        let nargs = coerced.len();
        // The transition function over [state, args..].
        let mut trans_args = vec![(var(0, state_type), None)];
        for (i, &t) in declared.iter().enumerate() {
            trans_args.push((var(i + 1, t), None));
        }
        let transfn = self.support_call(&desc.transfn, trans_args)?;
        let trans_strict = strict(&transfn);
        if transfn.type_oid() != state_type {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "return type of transition function {} is not {}",
                    desc.transfn,
                    oid::type_name(state_type)
                ),
            ));
        }
        let (finalfn, final_strict, type_oid) = match &desc.finalfn {
            Some(ff) => {
                let mut final_args = vec![(var(0, state_type), None)];
                if desc.finalextra {
                    for (i, &t) in declared.iter().enumerate() {
                        final_args.push((var(i + 1, t), None));
                    }
                }
                let x = self.support_call(ff, final_args)?;
                let s = strict(&x);
                let t = x.type_oid();
                (Some(x), s, t)
            }
            None => (None, false, state_type),
        };
        let initcond = match &desc.initval {
            Some(text) => {
                let c = Expr::Const {
                    value: Datum::Text(text.clone()),
                    type_oid: UNKNOWN,
                };
                Some(self.coerce(c, state_type, -1, false, None)?)
            }
            None => None,
        };
        let moving = match (&desc.mtransfn, &desc.minvtransfn) {
            (Some(msfunc), Some(minvfunc)) => Some(Box::new(
                self.moving_aggregate(&desc, &declared, msfunc, minvfunc, &name)?,
            )),
            _ => None,
        };
        let arg = match coerced.len() {
            0 => None,
            1 => coerced.pop(),
            _ => Some(super::rowtypes::make_row(coerced)),
        };
        Ok((
            arg,
            type_oid,
            UserAggregate {
                name,
                nargs,
                transfn,
                trans_strict,
                finalfn,
                final_strict,
                initcond,
                state_type,
                moving,
            },
        ))
    }

    /// The moving-aggregate functions of a call, as [`Self::user_aggregate`]
    /// resolves the plain ones.
    fn moving_aggregate(
        &mut self,
        desc: &AggregateDesc,
        declared: &[u32],
        msfunc: &str,
        minvfunc: &str,
        name: &str,
    ) -> PgResult<crate::plan::MovingAggregate> {
        let state_type = concrete(&desc.arg_types, declared, desc.mtranstype);
        let trans_args = || {
            let mut v = vec![(var(0, state_type), None)];
            for (i, &t) in declared.iter().enumerate() {
                v.push((var(i + 1, t), None));
            }
            v
        };
        let transfn = self.support_call(msfunc, trans_args())?;
        let inverse = self.support_call(minvfunc, trans_args())?;
        let finalfn = match &desc.mfinalfn {
            Some(ff) => {
                let args = if desc.mfinalextra {
                    trans_args()
                } else {
                    vec![(var(0, state_type), None)]
                };
                Some(self.support_call(ff, args)?)
            }
            None => None,
        };
        let initcond = match &desc.minitval {
            Some(text) => {
                let c = Expr::Const {
                    value: Datum::Text(text.clone()),
                    type_oid: UNKNOWN,
                };
                Some(self.coerce(c, state_type, -1, false, None)?)
            }
            None => None,
        };
        Ok(crate::plan::MovingAggregate {
            forward: UserAggregate {
                name: name.to_string(),
                nargs: declared.len(),
                trans_strict: strict(&transfn),
                transfn,
                final_strict: finalfn.as_ref().is_some_and(strict),
                finalfn,
                initcond,
                state_type,
                moving: None,
            },
            inverse_strict: strict(&inverse),
            inverse,
        })
    }

    /// A call of support function `qualified` (`name` or `schema.name`).
    fn support_call(
        &mut self,
        qualified: &str,
        args: Vec<(Expr, Option<usize>)>,
    ) -> PgResult<Expr> {
        match qualified.split_once('.') {
            Some((schema, name)) => {
                if let Some(x) = self.call_user_function(Some(schema), name, &args, &[], None)? {
                    return Ok(x);
                }
                let sig: Vec<&str> = args
                    .iter()
                    .map(|(x, _)| oid::type_name(x.type_oid()))
                    .collect();
                Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!("function {qualified}({}) does not exist", sig.join(", ")),
                )
                .with_hint(FUNC_HINT))
            }
            None => self.call_by_name(qualified, args, None),
        }
    }
}

fn var(index: usize, type_oid: u32) -> Expr {
    Expr::Var {
        index,
        type_oid,
        typmod: -1,
    }
}

/// Whether a support function's call is strict (NULL on a NULL input,
/// never called).
fn strict(x: &Expr) -> bool {
    match x {
        Expr::Call { strict, .. }
        | Expr::UserCall { strict, .. }
        | Expr::SqlFunction { strict, .. } => *strict,
        Expr::Cast { arg, .. } => strict(arg),
        _ => false,
    }
}

/// The aggregate of `candidates` the argument types fit (exactly first,
/// then by implicit casts), with the concrete argument types it takes.
fn choose(
    candidates: &[Arc<AggregateDesc>],
    actual: &[u32],
    star: bool,
) -> Option<(Arc<AggregateDesc>, Vec<u32>)> {
    let fit = |d: &AggregateDesc, exact: bool| -> Option<Vec<u32>> {
        if d.arg_types.len() != actual.len() || (star && !d.arg_types.is_empty()) {
            return None;
        }
        let polymorphic = d.arg_types.iter().any(|&t| oid::is_polymorphic(t));
        let resolved = match polymorphic {
            true => {
                let known: Vec<u32> = d
                    .arg_types
                    .iter()
                    .zip(actual)
                    .map(|(&t, &a)| if t == ANY { t } else { a })
                    .collect();
                super::coerce::resolve_polymorphic(&d.arg_types, &known, d.ret_type)?.0
            }
            false => d.arg_types.clone(),
        };
        let mut out = Vec::with_capacity(actual.len());
        for (&want, &have) in resolved.iter().zip(actual) {
            if want == ANY {
                out.push(if have == UNKNOWN { TEXT } else { have });
                continue;
            }
            let want = if oid::is_polymorphic(want) {
                if have == UNKNOWN { TEXT } else { have }
            } else {
                want
            };
            let ok =
                want == have || (!exact && (have == UNKNOWN || can_coerce_implicit(have, want)));
            if !ok {
                return None;
            }
            out.push(want);
        }
        Some(out)
    };
    for exact in [true, false] {
        let found: Vec<_> = candidates
            .iter()
            .filter_map(|d| fit(d, exact).map(|t| (d.clone(), t)))
            .collect();
        if let Some(first) = found.into_iter().next() {
            return Some(first);
        }
    }
    None
}

/// A declared (possibly polymorphic) type made concrete by the call's
/// argument types.
fn concrete(declared: &[u32], actual: &[u32], t: u32) -> u32 {
    if !oid::is_polymorphic(t) {
        return t;
    }
    let known: Vec<u32> = declared
        .iter()
        .zip(actual)
        .map(|(&d, &a)| if d == ANY { d } else { a })
        .collect();
    super::coerce::resolve_polymorphic(declared, &known, t).map_or(t, |(_, r)| r)
}

/// CREATE AGGREGATE's checks of its support functions (PostgreSQL's
/// `lookup_agg_function`): the transition function must take the state
/// and the arguments as they are and return the state type; the final
/// function the state (and with `finalfunc_extra` the arguments). Gives
/// the aggregate's result type and whether the transition function is
/// strict. A polymorphic signature is checked at its calls, and its result
/// type is the final function's declared one. `what` names the transition
/// function in messages ("transition", "inverse transition").
pub fn check_aggregate(
    catalog: &dyn crate::CatalogView,
    desc: &AggregateDesc,
    what: &str,
) -> PgResult<(u32, bool)> {
    let polymorphic = desc
        .arg_types
        .iter()
        .chain([&desc.transtype])
        .any(|&t| oid::is_polymorphic(t));
    let mut a = Analyzer::new("", &[], true).with_catalog(catalog);
    let mut types = vec![desc.transtype];
    types.extend(&desc.arg_types);
    if polymorphic {
        let poly_args = desc.arg_types.iter().any(|&t| oid::is_polymorphic(t));
        if oid::is_polymorphic(desc.transtype) && !poly_args {
            return Err(cannot_determine("transition", desc.transtype));
        }
        let ret = match polymorphic_support(catalog, &desc.transfn, &types)? {
            Some(f) if f.ret_type != desc.transtype && !oid::is_polymorphic(f.ret_type) => {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!(
                        "return type of {what} function {} is not {}",
                        desc.transfn,
                        oid::type_name(desc.transtype)
                    ),
                ));
            }
            _ => match &desc.finalfn {
                Some(ff) => {
                    let n = if desc.finalextra { types.len() } else { 1 };
                    polymorphic_support(catalog, ff, &types[..n])?
                        .map_or(desc.transtype, |f| f.ret_type)
                }
                None => desc.transtype,
            },
        };
        if oid::is_polymorphic(ret) && !poly_args {
            return Err(cannot_determine("result", ret));
        }
        return Ok((ret, false));
    }
    let transfn = exact_call(&mut a, &desc.transfn, &types)?;
    if transfn.type_oid() != desc.transtype {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "return type of {what} function {} is not {}",
                desc.transfn,
                oid::type_name(desc.transtype)
            ),
        ));
    }
    let ret = match &desc.finalfn {
        Some(ff) => {
            let n = if desc.finalextra { types.len() } else { 1 };
            exact_call(&mut a, ff, &types[..n])?.type_oid()
        }
        None => desc.transtype,
    };
    Ok((ret, strict(&transfn)))
}

/// A call of support function `name` with arguments of exactly `types`
/// (no casts), or PostgreSQL's 42883.
fn exact_call(a: &mut Analyzer<'_>, name: &str, types: &[u32]) -> PgResult<Expr> {
    let args = types
        .iter()
        .enumerate()
        .map(|(i, &t)| (var(i, t), None))
        .collect();
    let x = match a.support_call(name, args) {
        Ok(x) => x,
        Err(e)
            if e.code == SqlState::UndefinedFunction
                && e.message.starts_with(&format!("function {name}(")) =>
        {
            return Err(missing(name, types));
        }
        Err(e) => return Err(e),
    };
    let args: &[Expr] = match &x {
        Expr::Call { args, .. } | Expr::UserCall { args, .. } | Expr::SqlFunction { args, .. } => {
            args
        }
        _ => &[],
    };
    let exact = args.len() == types.len()
        && args
            .iter()
            .all(|x| matches!(x, Expr::Var { .. }) || matches!(x, Expr::Cast { arg, .. } if matches!(**arg, Expr::Var { .. }) && x.type_oid() == arg.type_oid()));
    if !exact && !args.is_empty() {
        let sig: Vec<&str> = args.iter().map(|x| oid::type_name(x.type_oid())).collect();
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "function {name}({}) requires run-time type coercion",
                sig.join(", ")
            ),
        ));
    }
    Ok(x)
}

fn missing(name: &str, types: &[u32]) -> PgError {
    let sig: Vec<&str> = types.iter().map(|&t| oid::type_name(t)).collect();
    PgError::new(
        SqlState::UndefinedFunction,
        format!("function {name}({}) does not exist", sig.join(", ")),
    )
}

/// PostgreSQL's 42P13 for a polymorphic transition or result type that no
/// polymorphic argument determines.
fn cannot_determine(what: &str, t: u32) -> PgError {
    let family = if matches!(
        t,
        ANYCOMPATIBLE
            | ANYCOMPATIBLEARRAY
            | ANYCOMPATIBLENONARRAY
            | ANYCOMPATIBLERANGE
            | ANYCOMPATIBLEMULTIRANGE
    ) {
        "anycompatible, anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or anycompatiblemultirange"
    } else {
        "anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange"
    };
    PgError::new(
        SqlState::InvalidFunctionDefinition,
        format!("cannot determine {what} data type"),
    )
    .with_detail(format!(
        "A result of type {} requires at least one input of type {family}.",
        oid::type_name(t)
    ))
}

/// The user function `name` a polymorphic aggregate's support function
/// names, taking `actual` (which may be polymorphic themselves) as
/// PostgreSQL's `lookup_agg_function` allows: a polymorphic input only
/// for the same polymorphic parameter, a concrete one for a parameter of
/// its type or, consistently, for polymorphic ones, but not both kinds of
/// binding in one call. None for the polymorphic built-ins (array_append,
/// ...); 42883 when nothing fits.
fn polymorphic_support(
    catalog: &dyn crate::CatalogView,
    qualified: &str,
    actual: &[u32],
) -> PgResult<Option<Arc<crate::FunctionDesc>>> {
    let (schema, name) = match qualified.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, qualified),
    };
    for f in catalog.lookup_functions(schema, name)? {
        if f.arg_types.len() != actual.len() {
            continue;
        }
        let (mut poly_actual, mut concrete_on_poly, mut ok) = (false, false, true);
        for (&d, &a) in f.arg_types.iter().zip(actual) {
            if oid::is_polymorphic(a) {
                poly_actual = true;
                ok &= d == a;
            } else if oid::is_polymorphic(d) {
                concrete_on_poly = true;
            } else {
                ok &= d == a;
            }
        }
        ok &= !(poly_actual && concrete_on_poly);
        if ok && concrete_on_poly {
            ok = super::coerce::resolve_polymorphic(&f.arg_types, actual, f.ret_type).is_some();
        }
        if ok {
            return Ok(Some(f));
        }
    }
    if schema.is_none() && matches!(name, "array_append" | "array_prepend" | "array_cat") {
        return Ok(None);
    }
    Err(missing(qualified, actual))
}
