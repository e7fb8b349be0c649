//! Window functions (PostgreSQL's `parse_agg.c` window parts and
//! `parse_clause.c`'s WINDOW handling): `f(...) OVER (...)` and named
//! windows.
//!
//! A call becomes a [`WindowFunc`] of the query level and, in the expression
//! that holds it, a `WindowRef`. Once the select list and ORDER BY are
//! analyzed, [`Analyzer::finish_windows`] puts the functions' inputs over
//! the row they see (the source row, or the aggregated row when the query
//! groups) and the references become `Var`s of the columns appended to that
//! row, which the executor fills.

use sqlparser::ast::{self, Spanned};
use types::oid::{FLOAT8, INT4, INT8, UNKNOWN};
use types::{PgError, PgResult, SqlState};

use super::{Analyzer, Target, ident_name};
use crate::expr::Expr;
use crate::plan::{
    FrameBound, FrameExclusion, FrameMode, WindowFrame, WindowFunc, WindowKind, WindowPlan,
};

fn window_error(message: impl Into<String>, pos: Option<usize>) -> PgError {
    PgError::new(SqlState::WindowingError, message).or_position(pos)
}

impl Analyzer<'_> {
    /// Records the WINDOW clause of a SELECT for the calls that name its
    /// windows.
    pub(crate) fn set_named_windows(
        &mut self,
        defs: &[ast::NamedWindowDefinition],
    ) -> PgResult<()> {
        self.named_windows.clear();
        for ast::NamedWindowDefinition(name, expr) in defs {
            let n = ident_name(name);
            if self.named_windows.iter().any(|(x, _, _)| *x == n) {
                // PostgreSQL points at the definition's parenthesis.
                let at = self.pos(name.span).and_then(|p| {
                    let rest = self.query_text.chars().skip(p - 1);
                    rest.take_while(|c| *c != ')')
                        .position(|c| c == '(')
                        .map(|k| p + k)
                });
                return Err(window_error(
                    format!("window \"{n}\" is already defined"),
                    at.or(self.pos(name.span)),
                ));
            }
            let (spec, exclude) = match expr {
                ast::NamedWindowExpr::WindowSpec(s) => split_exclusion(s),
                ast::NamedWindowExpr::NamedWindow(base) => (
                    ast::WindowSpec {
                        window_name: Some(base.clone()),
                        partition_by: vec![],
                        order_by: vec![],
                        window_frame: None,
                    },
                    FrameExclusion::NoOthers,
                ),
            };
            self.named_windows.push((n, spec, exclude));
        }
        Ok(())
    }

    /// The window a call's OVER clause gives, with a named window it
    /// refers to merged in (PARTITION BY and ORDER BY from it, the frame
    /// from the call).
    fn resolve_window(
        &self,
        over: &ast::WindowType,
        pos: Option<usize>,
    ) -> PgResult<(ast::WindowSpec, FrameExclusion)> {
        let named = |name: &ast::Ident| -> PgResult<(ast::WindowSpec, FrameExclusion)> {
            let n = ident_name(name);
            self.named_windows
                .iter()
                .find(|(x, _, _)| *x == n)
                .map(|(_, s, e)| (s.clone(), *e))
                .ok_or_else(|| {
                    window_error(
                        format!("window \"{n}\" does not exist"),
                        self.pos(name.span).or(pos),
                    )
                })
        };
        let (spec, exclude) = match over {
            ast::WindowType::NamedWindow(name) => return named(name),
            ast::WindowType::WindowSpec(s) => split_exclusion(s),
        };
        let Some(base_name) = &spec.window_name else {
            return Ok((spec, exclude));
        };
        let (base, _) = named(base_name)?;
        let n = ident_name(base_name);
        if !spec.partition_by.is_empty() {
            return Err(window_error(
                format!("cannot override PARTITION BY clause of window \"{n}\""),
                pos,
            ));
        }
        if !spec.order_by.is_empty() && !base.order_by.is_empty() {
            return Err(window_error(
                format!("cannot override ORDER BY clause of window \"{n}\""),
                pos,
            ));
        }
        if base.window_frame.is_some() {
            return Err(window_error(
                format!("cannot copy window \"{n}\" because it has a frame clause"),
                pos,
            ));
        }
        Ok((
            ast::WindowSpec {
                window_name: None,
                partition_by: base.partition_by,
                order_by: if spec.order_by.is_empty() {
                    base.order_by
                } else {
                    spec.order_by
                },
                window_frame: spec.window_frame,
            },
            exclude,
        ))
    }

    /// The position of the parenthesis that opens the OVER clause of the
    /// call at `pos` (where PostgreSQL points at errors of the window).
    fn over_position(&self, pos: Option<usize>) -> Option<usize> {
        let chars: Vec<char> = self.query_text.chars().collect();
        let mut i = pos?.checked_sub(1)?;
        while i + 4 <= chars.len() {
            let w: String = chars[i..i + 4].iter().collect();
            if w.eq_ignore_ascii_case("over") {
                let mut j = i + 4;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                return (chars.get(j) == Some(&'(')).then_some(j + 1);
            }
            i += 1;
        }
        None
    }

    /// `name(args) OVER window`.
    pub(crate) fn transform_window(
        &mut self,
        name: &str,
        f: &ast::Function,
        args: &ast::FunctionArgumentList,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let Some(over) = &f.over else {
            return Err(PgError::internal("window function without OVER"));
        };
        if let Some(clause) = self.window_forbidden.or(self.agg_forbidden) {
            return Err(window_error(
                format!("window functions are not allowed in {clause}"),
                pos,
            ));
        }
        if self.in_window {
            return Err(window_error("window function calls cannot be nested", pos));
        }
        if self.in_agg_arg {
            return Err(PgError::new(
                SqlState::GroupingError,
                "aggregate function calls cannot contain window function calls",
            )
            .or_position(pos));
        }
        let (spec, exclude) = self.resolve_window(over, pos)?;
        let spec_pos = match over {
            ast::WindowType::WindowSpec(_) => self.over_position(pos),
            ast::WindowType::NamedWindow(_) => None,
        };
        self.in_window = true;
        let r = self.window_func(name, f, args, &spec, exclude, pos, spec_pos);
        self.in_window = false;
        let func = r?;
        let type_oid = func.type_oid;
        self.windows.push(func);
        Ok(Expr::WindowRef {
            index: self.windows.len() - 1,
            type_oid,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn window_func(
        &mut self,
        name: &str,
        f: &ast::Function,
        list: &ast::FunctionArgumentList,
        spec: &ast::WindowSpec,
        exclude: FrameExclusion,
        pos: Option<usize>,
        spec_pos: Option<usize>,
    ) -> PgResult<WindowFunc> {
        let saved = self.window_forbidden.replace("window definitions");
        let keys = self.window_keys(spec);
        self.window_forbidden = saved;
        let (partition_by, order_by) = keys?;
        let range_type = match order_by.as_slice() {
            [(x, _, _)] => Some(x.type_oid()),
            _ => None,
        };
        let frame = self.window_frame(
            spec.window_frame.as_ref(),
            !order_by.is_empty(),
            range_type,
            exclude,
            spec_pos,
        )?;
        let (kind, args, type_oid) =
            if super::agg::is_aggregate(name) || !self.user_aggregates(f)?.is_empty() {
                let call = self.aggregate_call(name, f, list, pos, true)?;
                let t = call.type_oid;
                (WindowKind::Agg(Box::new(call)), vec![], t)
            } else {
                if f.filter.is_some() {
                    return Err(PgError::feature_not_supported(
                        "FILTER for non-aggregate window functions",
                    )
                    .or_position(pos));
                }
                let mut args = Vec::new();
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                            let p = self.pos(e.span());
                            args.push((self.transform(e)?, p));
                        }
                        _ => {
                            return Err(PgError::feature_not_supported(
                                "this window function argument",
                            )
                            .or_position(pos));
                        }
                    }
                }
                self.window_kind(name, args, pos)?
            };
        Ok(WindowFunc {
            kind,
            args,
            partition_by,
            order_by,
            frame,
            type_oid,
        })
    }

    /// A window's PARTITION BY and ORDER BY expressions.
    #[allow(clippy::type_complexity)]
    fn window_keys(
        &mut self,
        spec: &ast::WindowSpec,
    ) -> PgResult<(Vec<Expr>, Vec<(Expr, bool, bool)>)> {
        let mut partition_by = Vec::new();
        for e in &spec.partition_by {
            partition_by.push(self.transform(e)?);
        }
        let mut order_by = Vec::new();
        for o in &spec.order_by {
            let x = self.transform(&o.expr)?;
            let desc = self.sort_descending(o, x.type_oid())?;
            let nulls_first = o.options.nulls_first.unwrap_or(desc);
            order_by.push((x, desc, nulls_first));
        }
        Ok((partition_by, order_by))
    }

    /// The built-in window functions: kind, coerced arguments, result type.
    fn window_kind(
        &mut self,
        name: &str,
        args: Vec<(Expr, Option<usize>)>,
        pos: Option<usize>,
    ) -> PgResult<(WindowKind, Vec<Expr>, u32)> {
        let sig = || {
            args.iter()
                .map(|(a, _)| types::oid::type_name(a.type_oid()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let undefined = |sig: String| {
            PgError::new(
                SqlState::UndefinedFunction,
                format!("function {name}({sig}) does not exist"),
            )
            .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
            .or_position(pos)
        };
        let ranking = match name {
            "row_number" => Some((WindowKind::RowNumber, INT8)),
            "rank" => Some((WindowKind::Rank, INT8)),
            "dense_rank" => Some((WindowKind::DenseRank, INT8)),
            "percent_rank" => Some((WindowKind::PercentRank, FLOAT8)),
            "cume_dist" => Some((WindowKind::CumeDist, FLOAT8)),
            _ => None,
        };
        if let Some((kind, t)) = ranking {
            if !args.is_empty() {
                return Err(undefined(sig()));
            }
            return Ok((kind, vec![], t));
        }
        let value_type = |args: &[(Expr, Option<usize>)]| {
            args.first().map(|(a, _)| match a.type_oid() {
                UNKNOWN => types::oid::TEXT,
                t => t,
            })
        };
        match (name, args.len()) {
            ("ntile", 1) => {
                let mut it = args.into_iter();
                let (a, p) = it
                    .next()
                    .ok_or_else(|| PgError::internal("ntile argument"))?;
                let a = self.coerce(a, INT4, -1, false, p)?;
                Ok((WindowKind::Ntile, vec![a], INT4))
            }
            ("lag" | "lead", 1..=3) => {
                // lag(anycompatible, integer, anycompatible): the value and
                // the default take their common type.
                let t = match args.get(2) {
                    Some((d, p)) => super::coerce::select_common_type(
                        &[(args[0].0.type_oid(), args[0].1), (d.type_oid(), *p)],
                        name,
                    )
                    .map_err(|_| undefined(sig()))?,
                    None => value_type(&args).unwrap_or(types::oid::TEXT),
                };
                let t = if t == UNKNOWN { types::oid::TEXT } else { t };
                let mut out = Vec::new();
                for (i, (a, p)) in args.into_iter().enumerate() {
                    let to = if i == 1 { INT4 } else { t };
                    out.push(self.coerce(a, to, -1, false, p)?);
                }
                let kind = if name == "lag" {
                    WindowKind::Lag
                } else {
                    WindowKind::Lead
                };
                Ok((kind, out, t))
            }
            ("first_value" | "last_value", 1) => {
                let t = value_type(&args).unwrap_or(types::oid::TEXT);
                let mut out = Vec::new();
                for (a, p) in args {
                    out.push(self.coerce(a, t, -1, false, p)?);
                }
                let kind = if name == "first_value" {
                    WindowKind::FirstValue
                } else {
                    WindowKind::LastValue
                };
                Ok((kind, out, t))
            }
            ("nth_value", 2) => {
                let t = value_type(&args).unwrap_or(types::oid::TEXT);
                let mut out = Vec::new();
                for (i, (a, p)) in args.into_iter().enumerate() {
                    out.push(self.coerce(a, if i == 1 { INT4 } else { t }, -1, false, p)?);
                }
                Ok((WindowKind::NthValue, out, t))
            }
            ("ntile" | "lag" | "lead" | "first_value" | "last_value" | "nth_value", _) => {
                Err(undefined(sig()))
            }
            _ if super::func::name_exists(name) => Err(PgError::new(
                SqlState::WrongObjectType,
                format!(
                    "OVER specified, but {name} is not a window function nor an aggregate function"
                ),
            )
            .or_position(pos)),
            _ => Err(undefined(sig())),
        }
    }

    fn window_frame(
        &mut self,
        frame: Option<&ast::WindowFrame>,
        ordered: bool,
        range_type: Option<u32>,
        exclude: FrameExclusion,
        spec_pos: Option<usize>,
    ) -> PgResult<WindowFrame> {
        let Some(frame) = frame else {
            return Ok(WindowFrame {
                mode: FrameMode::Range,
                start: FrameBound::UnboundedPreceding,
                end: if ordered {
                    FrameBound::CurrentRow
                } else {
                    FrameBound::UnboundedFollowing
                },
                exclude,
            });
        };
        let mode = match frame.units {
            ast::WindowFrameUnits::Rows => FrameMode::Rows,
            ast::WindowFrameUnits::Range => FrameMode::Range,
            ast::WindowFrameUnits::Groups => FrameMode::Groups,
        };
        let bound_pos = |a: &Analyzer<'_>, b: &ast::WindowFrameBound| match b {
            ast::WindowFrameBound::Preceding(Some(e))
            | ast::WindowFrameBound::Following(Some(e)) => a.pos(e.span()),
            _ => None,
        };
        let start_pos = bound_pos(self, &frame.start_bound);
        let end_pos = frame.end_bound.as_ref().and_then(|b| bound_pos(self, b));
        // The checks of PostgreSQL's grammar come first.
        match (&frame.start_bound, &frame.end_bound) {
            (ast::WindowFrameBound::Following(None), _) => {
                return Err(window_error(
                    "frame start cannot be UNBOUNDED FOLLOWING",
                    start_pos,
                ));
            }
            (ast::WindowFrameBound::Following(Some(_)), None) => {
                return Err(window_error(
                    "frame starting from following row cannot end with current row",
                    start_pos,
                ));
            }
            (_, Some(ast::WindowFrameBound::Preceding(None))) => {
                return Err(window_error(
                    "frame end cannot be UNBOUNDED PRECEDING",
                    end_pos,
                ));
            }
            (
                ast::WindowFrameBound::CurrentRow,
                Some(ast::WindowFrameBound::Preceding(Some(_))),
            ) => {
                return Err(window_error(
                    "frame starting from current row cannot have preceding rows",
                    end_pos,
                ));
            }
            (
                ast::WindowFrameBound::Following(Some(_)),
                Some(ast::WindowFrameBound::Preceding(Some(_)) | ast::WindowFrameBound::CurrentRow),
            ) => {
                return Err(window_error(
                    "frame starting from following row cannot have preceding rows",
                    end_pos,
                ));
            }
            _ => {}
        }
        let has_offset = |b: &ast::WindowFrameBound| {
            matches!(
                b,
                ast::WindowFrameBound::Preceding(Some(_))
                    | ast::WindowFrameBound::Following(Some(_))
            )
        };
        let range_type = if mode == FrameMode::Range
            && (has_offset(&frame.start_bound) || frame.end_bound.as_ref().is_some_and(has_offset))
        {
            match range_type {
                Some(t) => Some(t),
                None => {
                    return Err(window_error(
                        "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
                        spec_pos,
                    ));
                }
            }
        } else {
            None
        };
        if mode == FrameMode::Groups && !ordered {
            return Err(window_error(
                "GROUPS mode requires an ORDER BY clause",
                spec_pos,
            ));
        }
        let start = self.frame_bound(&frame.start_bound, mode, range_type)?;
        let end = match &frame.end_bound {
            Some(b) => self.frame_bound(b, mode, range_type)?,
            None => FrameBound::CurrentRow,
        };
        Ok(WindowFrame {
            mode,
            start,
            end,
            exclude,
        })
    }

    fn frame_bound(
        &mut self,
        b: &ast::WindowFrameBound,
        mode: FrameMode,
        range_type: Option<u32>,
    ) -> PgResult<FrameBound> {
        let offset = |a: &mut Analyzer<'_>, e: &ast::Expr| -> PgResult<Expr> {
            let construct = match mode {
                FrameMode::Rows => "ROWS",
                FrameMode::Range => "RANGE",
                FrameMode::Groups => "GROUPS",
            };
            let p = a.pos(e.span());
            let x = a.transform(e)?;
            if x.max_var().is_some() {
                return Err(PgError::new(
                    SqlState::InvalidColumnReference,
                    format!("argument of {construct} must not contain variables"),
                )
                .or_position(p));
            }
            let to = match range_type {
                Some(column) => range_offset_type(column, x.type_oid(), p)?,
                None => INT8,
            };
            a.coerce(x, to, -1, false, p)
        };
        Ok(match b {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            ast::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(self, e)?),
            ast::WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(self, e)?),
        })
    }

    /// After the select list and ORDER BY: the window functions' inputs
    /// over the row they see (regrouped when the query groups), their
    /// references in `targets` as `Var`s from `input_width` on.
    pub(crate) fn finish_windows(
        &mut self,
        targets: Vec<Expr>,
        input_width: usize,
        group_by: Option<&[Expr]>,
    ) -> PgResult<(Vec<Expr>, Option<WindowPlan>)> {
        if self.windows.is_empty() {
            return Ok((targets, None));
        }
        let mut funcs = std::mem::take(&mut self.windows);
        if let Some(group_by) = group_by {
            let regroup = |a: &Analyzer<'_>, e: Expr| {
                a.regroup(
                    Target {
                        expr: e,
                        var_positions: vec![],
                    },
                    group_by,
                )
            };
            for f in &mut funcs {
                f.args = std::mem::take(&mut f.args)
                    .into_iter()
                    .map(|e| regroup(self, e))
                    .collect::<PgResult<_>>()?;
                f.partition_by = std::mem::take(&mut f.partition_by)
                    .into_iter()
                    .map(|e| regroup(self, e))
                    .collect::<PgResult<_>>()?;
                f.order_by = std::mem::take(&mut f.order_by)
                    .into_iter()
                    .map(|(e, d, n)| Ok((regroup(self, e)?, d, n)))
                    .collect::<PgResult<_>>()?;
                if let WindowKind::Agg(call) = &mut f.kind {
                    call.arg = call.arg.take().map(|e| regroup(self, e)).transpose()?;
                    call.filter = call.filter.take().map(|e| regroup(self, e)).transpose()?;
                    call.delimiter = call
                        .delimiter
                        .take()
                        .map(|e| regroup(self, e))
                        .transpose()?;
                }
            }
        }
        let targets = targets
            .into_iter()
            .map(|t| replace_window_refs(t, input_width))
            .collect::<PgResult<_>>()?;
        Ok((
            targets,
            Some(WindowPlan {
                input_width,
                funcs,
                keep_order: false,
            }),
        ))
    }
}

/// The window spec with the exclusion the pre-parser folded into its name
/// (`crate::WINDOW_EXCLUDE_MARKER`) taken out, and that exclusion.
fn split_exclusion(spec: &ast::WindowSpec) -> (ast::WindowSpec, FrameExclusion) {
    let mut spec = spec.clone();
    let Some(rest) = spec
        .window_name
        .as_ref()
        .and_then(|n| n.value.strip_prefix(crate::WINDOW_EXCLUDE_MARKER))
    else {
        return (spec, FrameExclusion::NoOthers);
    };
    let (kind, name) = rest.split_once('\u{1}').unwrap_or((rest, ""));
    let exclude = match kind {
        "current row" => FrameExclusion::CurrentRow,
        "group" => FrameExclusion::Group,
        "ties" => FrameExclusion::Ties,
        _ => FrameExclusion::NoOthers,
    };
    spec.window_name = (!name.is_empty()).then(|| {
        let mut id = spec
            .window_name
            .clone()
            .unwrap_or_else(|| ast::Ident::new(""));
        id.value = name.to_string();
        id
    });
    (spec, exclude)
}

/// The type a RANGE offset is coerced to for an ORDER BY column of type
/// `column` (PostgreSQL's choice among the column's btree `in_range`
/// support functions), or PostgreSQL's error when there is none.
fn range_offset_type(column: u32, offset: u32, pos: Option<usize>) -> PgResult<u32> {
    use types::oid::{DATE, FLOAT4, INT2, INTERVAL, NUMERIC, TIME, TIMESTAMP, TIMESTAMPTZ, TIMETZ};
    let candidates: &[u32] = match column {
        INT2 | INT4 => &[INT8, INT4, INT2],
        INT8 => &[INT8],
        FLOAT4 | FLOAT8 => &[FLOAT8],
        NUMERIC => &[NUMERIC],
        DATE | TIMESTAMP | TIMESTAMPTZ | TIME | TIMETZ | INTERVAL => &[INTERVAL],
        _ => {
            // character varying sorts with text's operators
            let column = if column == types::oid::VARCHAR {
                types::oid::TEXT
            } else {
                column
            };
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                format!(
                    "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                    types::oid::type_name(column)
                ),
            )
            .or_position(pos));
        }
    };
    let preferred = if offset == UNKNOWN { column } else { offset };
    let matches: Vec<u32> = candidates
        .iter()
        .copied()
        .filter(|&c| c == offset || super::coerce::can_coerce_implicit(offset, c))
        .collect();
    if matches.is_empty() {
        return Err(PgError::new(SqlState::FeatureNotSupported, format!(
            "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {} and offset type {}",
            types::oid::type_name(column),
            types::oid::type_name(offset)
        ))
        .with_hint("Cast the offset value to an appropriate type.")
        .or_position(pos));
    }
    if matches.contains(&preferred) {
        return Ok(preferred);
    }
    if matches.len() != 1 {
        return Err(PgError::new(SqlState::FeatureNotSupported, format!(
            "RANGE with offset PRECEDING/FOLLOWING has multiple interpretations for column type {} and offset type {}",
            types::oid::type_name(column),
            types::oid::type_name(offset)
        ))
        .with_hint("Cast the offset value to the exact intended type.")
        .or_position(pos));
    }
    Ok(matches[0])
}

pub(crate) fn replace_window_refs(e: Expr, base: usize) -> PgResult<Expr> {
    match e {
        Expr::WindowRef { index, type_oid } => Ok(Expr::Var {
            index: base + index,
            type_oid,
            typmod: -1,
        }),
        other => other.map_children(&mut |c| replace_window_refs(c, base)),
    }
}
