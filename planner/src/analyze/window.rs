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
use crate::plan::{FrameBound, FrameMode, WindowFrame, WindowFunc, WindowKind, WindowPlan};

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
            if self.named_windows.iter().any(|(x, _)| *x == n) {
                return Err(window_error(
                    format!("window \"{n}\" is already defined"),
                    self.pos(name.span),
                ));
            }
            let spec = match expr {
                ast::NamedWindowExpr::WindowSpec(s) => s.clone(),
                ast::NamedWindowExpr::NamedWindow(base) => ast::WindowSpec {
                    window_name: Some(base.clone()),
                    partition_by: vec![],
                    order_by: vec![],
                    window_frame: None,
                },
            };
            self.named_windows.push((n, spec));
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
    ) -> PgResult<ast::WindowSpec> {
        let named = |name: &ast::Ident| -> PgResult<ast::WindowSpec> {
            let n = ident_name(name);
            self.named_windows
                .iter()
                .find(|(x, _)| *x == n)
                .map(|(_, s)| s.clone())
                .ok_or_else(|| {
                    window_error(
                        format!("window \"{n}\" does not exist"),
                        self.pos(name.span).or(pos),
                    )
                })
        };
        let spec = match over {
            ast::WindowType::NamedWindow(name) => return named(name),
            ast::WindowType::WindowSpec(s) => s.clone(),
        };
        let Some(base_name) = &spec.window_name else {
            return Ok(spec);
        };
        let base = named(base_name)?;
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
        Ok(ast::WindowSpec {
            window_name: None,
            partition_by: base.partition_by,
            order_by: if spec.order_by.is_empty() {
                base.order_by
            } else {
                spec.order_by
            },
            window_frame: spec.window_frame,
        })
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
        let spec = self.resolve_window(over, pos)?;
        self.in_window = true;
        let r = self.window_func(name, f, args, &spec, pos);
        self.in_window = false;
        let func = r?;
        let type_oid = func.type_oid;
        self.windows.push(func);
        Ok(Expr::WindowRef {
            index: self.windows.len() - 1,
            type_oid,
        })
    }

    fn window_func(
        &mut self,
        name: &str,
        f: &ast::Function,
        list: &ast::FunctionArgumentList,
        spec: &ast::WindowSpec,
        pos: Option<usize>,
    ) -> PgResult<WindowFunc> {
        let mut partition_by = Vec::new();
        for e in &spec.partition_by {
            partition_by.push(self.transform(e)?);
        }
        let mut order_by = Vec::new();
        for o in &spec.order_by {
            let x = self.transform(&o.expr)?;
            if matches!(o.options.sort, Some(ast::OrderBySort::Using(_))) {
                return Err(PgError::feature_not_supported(
                    "ORDER BY ... USING in a window",
                ));
            }
            let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
            let nulls_first = o.options.nulls_first.unwrap_or(desc);
            order_by.push((x, desc, nulls_first));
        }
        let frame = self.window_frame(spec.window_frame.as_ref(), !order_by.is_empty(), pos)?;
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
                let t = value_type(&args).unwrap_or(types::oid::TEXT);
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
        pos: Option<usize>,
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
            });
        };
        let mode = match frame.units {
            ast::WindowFrameUnits::Rows => FrameMode::Rows,
            ast::WindowFrameUnits::Range => FrameMode::Range,
            ast::WindowFrameUnits::Groups => FrameMode::Groups,
        };
        if mode == FrameMode::Groups && !ordered {
            return Err(window_error("GROUPS mode requires an ORDER BY clause", pos));
        }
        let start = self.frame_bound(&frame.start_bound, mode, pos)?;
        let end = match &frame.end_bound {
            Some(b) => self.frame_bound(b, mode, pos)?,
            None => FrameBound::CurrentRow,
        };
        if matches!(start, FrameBound::UnboundedFollowing) {
            return Err(window_error(
                "frame start cannot be UNBOUNDED FOLLOWING",
                pos,
            ));
        }
        if matches!(end, FrameBound::UnboundedPreceding) {
            return Err(window_error("frame end cannot be UNBOUNDED PRECEDING", pos));
        }
        if matches!(start, FrameBound::CurrentRow) && matches!(end, FrameBound::Preceding(_)) {
            return Err(window_error(
                "frame starting from current row cannot have preceding rows",
                pos,
            ));
        }
        if matches!(start, FrameBound::Following(_))
            && matches!(end, FrameBound::Preceding(_) | FrameBound::CurrentRow)
        {
            return Err(window_error(
                "frame starting from following row cannot have preceding rows",
                pos,
            ));
        }
        Ok(WindowFrame { mode, start, end })
    }

    fn frame_bound(
        &mut self,
        b: &ast::WindowFrameBound,
        mode: FrameMode,
        pos: Option<usize>,
    ) -> PgResult<FrameBound> {
        let offset = |a: &mut Analyzer<'_>, e: &ast::Expr| -> PgResult<Expr> {
            if mode == FrameMode::Range {
                return Err(PgError::feature_not_supported(
                    "RANGE with offset PRECEDING/FOLLOWING",
                )
                .or_position(pos));
            }
            let p = a.pos(e.span());
            let x = a.transform(e)?;
            if x.max_var().is_some() {
                return Err(window_error(
                    "argument of ROWS must not contain variables",
                    p,
                ));
            }
            a.coerce(x, INT8, -1, false, p)
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
        Ok((targets, Some(WindowPlan { input_width, funcs })))
    }
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
